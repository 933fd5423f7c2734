#pragma once
// The failure taxonomy, edited: add, rename, describe, retire or restore, move up or down. Each
// edit is a write through the store's writer on a worker, kept in the category's history (who,
// when, before, after); the list is read again after it. A retired category keeps its labels.

#include "core/store/review_store.h"
#include "ui/page.h"

#include <QDialog>

#include <functional>

class QLabel;
class QListWidget;

namespace winnow {

class JobTracker;

class TaxonomyDialog : public QDialog
{
    Q_OBJECT
public:
    TaxonomyDialog(const StoreContext& store, const QString& author, QWidget* parent = nullptr);
    const std::vector<ReviewCategory>& categories() const { return m_categories; }
    QString status() const;

    // What the buttons do, callable from tests.
    void addCategory(const QString& name, const QString& description);
    void renameCategory(std::int64_t id, const QString& name);
    void describeCategory(std::int64_t id, const QString& description);
    void retireCategory(std::int64_t id, bool retired);
    void moveCategory(std::int64_t id, int position);

Q_SIGNALS:
    void loaded();

private:
    void run(std::function<void(ReviewStore&)> change, const QString& done);
    std::optional<ReviewCategory> selected() const;
    StoreContext m_store;
    std::string m_author;
    JobTracker* m_jobs;
    QListWidget* m_list;
    QLabel* m_status;
    std::vector<ReviewCategory> m_categories;
};

} // namespace winnow
