#pragma once
// File → Model Prices…: the price table that estimates cost at ingest, edited in place. Reads
// and writes run as jobs on the reader pool (a write through the store's writer, then a read of
// the table again); a read-only store shows the table without editing. GUI thread only.

#include "ui/page.h"

#include <QDialog>

class QLabel;
class QPushButton;
class QTableView;

namespace winnow {

class JobTracker;
class PriceListModel;
struct ModelPrice;

class PricesDialog : public QDialog
{
    Q_OBJECT
public:
    PricesDialog(const StoreContext& store, QWidget* parent = nullptr);
    PriceListModel* model() const { return m_model; }
    QString status() const;

    // What Add and Remove do, callable from tests: a new model at $0 (to edit), or one gone.
    void addModel(const QString& model);
    void removeModel(const QString& model);

Q_SIGNALS:
    void loaded();

private:
    // Writes `change` (on a worker, through the writer) when given, then reads the table again.
    void run(std::function<void(WriteTransaction&)> change, const QString& done);
    StoreContext m_store;
    JobTracker* m_jobs;
    PriceListModel* m_model;
    QTableView* m_table;
    QLabel* m_status;
    QPushButton* m_add;
    QPushButton* m_remove;
};

} // namespace winnow
