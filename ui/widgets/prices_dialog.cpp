#include "ui/widgets/prices_dialog.h"

#include "core/ingest/pricing.h"
#include "core/jobs/job_tracker.h"
#include "core/models/price_list_model.h"
#include "core/store/price_store.h"

#include <QDate>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace winnow {

PricesDialog::PricesDialog(const StoreContext& store, QWidget* parent)
    : QDialog(parent), m_store(store), m_jobs(new JobTracker(this)), m_model(new PriceListModel(this))
{
    setWindowTitle(tr("Model Prices"));
    resize(720, 520);
    auto* layout = new QVBoxLayout(this);
    auto* intro =
        new QLabel(tr("Logs with tokens and a model but no cost get a cost from this table at ingest, "
                      "marked as estimated; a model not listed keeps no cost (unknown, not $0). A name "
                      "also prices its dated variants. Changes apply to what is ingested next."),
                   this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(m_store.writer
                                 ? QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                                       QAbstractItemView::AnyKeyPressed
                                 : QAbstractItemView::NoEditTriggers);
    layout->addWidget(m_table, 1);
    auto* buttons = new QHBoxLayout;
    m_add = new QPushButton(tr("&Add Model…"), this);
    m_remove = new QPushButton(tr("&Remove"), this);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addWidget(m_status, 1);
    layout->addLayout(buttons);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(close);
    m_add->setEnabled(m_store.writer != nullptr);
    m_remove->setEnabled(m_store.writer != nullptr);
    if (!m_store.writer)
        m_status->setText(tr("The store is read-only: %1").arg(m_store.readOnlyReason));

    connect(m_model, &PriceListModel::priceEdited, this, [this](const ModelPrice& price) {
        run([price](WriteTransaction& tx) { PriceStore(tx.database()).set(price); },
            tr("Saved the price of %1").arg(QString::fromStdString(price.model)));
    });
    connect(m_model, &PriceListModel::priceRefused, this,
            [this](const QString& reason) { m_status->setText(tr("Not saved: %1").arg(reason)); });
    connect(m_add, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString model = QInputDialog::getText(this, tr("Add Model"),
                                                    tr("Model name (it also prices its dated variants):"),
                                                    QLineEdit::Normal, QString(), &ok)
                                  .trimmed();
        if (ok && !model.isEmpty())
            addModel(model);
    });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        const ModelPrice* price = m_model->priceAt(m_table->currentIndex().row());
        if (!price)
            return;
        const QString model = QString::fromStdString(price->model);
        if (QMessageBox::question(
                this, tr("Remove Price"),
                tr("Remove the price of %1? Its interactions ingested later will have no cost "
                   "unless their logs give one.")
                    .arg(model)) == QMessageBox::Yes)
            removeModel(model);
    });
    m_jobs->setStorePath(m_store.path);
    run({}, QString());
}

QString PricesDialog::status() const
{
    return m_status->text();
}

void PricesDialog::addModel(const QString& model)
{
    auto price = checkedPrice(model.toStdString(), 0, 0,
                              QDate::currentDate().toString(Qt::ISODate).toStdString(), "user");
    if (!price) {
        m_status->setText(QString::fromStdString(price.error().message));
        return;
    }
    run([price = *price](WriteTransaction& tx) { PriceStore(tx.database()).set(price); },
        tr("Added %1 at $0: double-click its prices to set them").arg(model));
}

void PricesDialog::removeModel(const QString& model)
{
    run([model = model.toStdString()](WriteTransaction& tx) { PriceStore(tx.database()).remove(model); },
        tr("Removed the price of %1").arg(model));
}

void PricesDialog::run(std::function<void(WriteTransaction&)> change, const QString& done)
{
    auto writer = m_store.writer;
    m_jobs->start<std::vector<ModelPrice>>(
        [writer, change](JobContext& context) {
            if (change && writer) {
                Status written = writer->write(WritePriority::Interactive, [&change](WriteTransaction& tx) {
                    change(tx);
                    tx.changed(StoreChange::Settings);
                });
                if (!written)
                    throw Failure(written.error());
            }
            return PriceStore(context.database()).prices();
        },
        [this, done](std::vector<ModelPrice> prices) {
            m_model->setPrices(std::move(prices));
            m_table->resizeColumnsToContents();
            if (!done.isEmpty())
                m_status->setText(done);
            Q_EMIT loaded();
        },
        [this](const Error& error) {
            m_status->setText(
                tr("Could not save or read the prices: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT loaded();
        });
}

} // namespace winnow
