#pragma once
// Inserts many rows of one table per statement execution.

#include "core/store/sqlite.h"

#include <string>
#include <vector>

namespace winnow {

// Inserts rows of one table many at a time: per-statement work was a fifth of the writer's time
// when every message, tool call and metadata row had a statement execution of its own.
class RowInserter
{
public:
    static constexpr int rowsPerStatement = 16;

    // insertInto: "INSERT INTO table(columns)" or another INSERT form; suffix: what follows the
    // rows ("ON CONFLICT ... DO UPDATE ...").
    RowInserter(sql::Connection& db, const std::string& insertInto, int columns,
                const std::string& suffix = {})
        : m_columns(columns), m_one(db, statementFor(insertInto, columns, 1) + suffix),
          m_many(db, statementFor(insertInto, columns, rowsPerStatement) + suffix)
    {
    }

    // bindRow(statement, firstParameter, row) binds one row's `columns` values from firstParameter on.
    template <typename Row, typename BindRow> void insert(const std::vector<Row>& rows, BindRow bindRow)
    {
        size_t next = 0;
        for (; next + rowsPerStatement <= rows.size(); next += rowsPerStatement) {
            for (int r = 0; r < rowsPerStatement; ++r)
                bindRow(m_many, r * m_columns + 1, rows[next + static_cast<size_t>(r)]);
            m_many.run();
        }
        for (; next < rows.size(); ++next) {
            bindRow(m_one, 1, rows[next]);
            m_one.run();
        }
    }

private:
    static std::string statementFor(const std::string& insertInto, int columns, int rows)
    {
        std::string row = "(";
        for (int c = 0; c < columns; ++c)
            row += c ? ",?" : "?";
        row += ")";
        std::string sql = insertInto + " VALUES";
        for (int r = 0; r < rows; ++r)
            sql += (r ? "," : "") + row;
        return sql;
    }
    int m_columns;
    sql::Statement m_one;
    sql::Statement m_many;
};

} // namespace winnow
