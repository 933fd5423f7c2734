#include "ui/review/taxonomy_dialog.h"

#include "core/jobs/job_tracker.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace winnow {

TaxonomyDialog::TaxonomyDialog(const StoreContext& store, const QString& author, QWidget* parent)
    : QDialog(parent), m_store(store),
      m_author(author.isEmpty() ? std::string("reviewer") : author.toStdString()),
      m_jobs(new JobTracker(this))
{
    setWindowTitle(tr("Failure taxonomy"));
    resize(560, 480);
    m_jobs->setStorePath(store.path);
    auto* layout = new QVBoxLayout(this);
    auto* intro =
        new QLabel(tr("The categories labels use, in their order (1-9 are the Review screen's keys). "
                      "Every edit is kept with who and when; a retired category keeps its labels."),
                   this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* row = new QHBoxLayout;
    m_list = new QListWidget(this);
    row->addWidget(m_list, 1);
    auto* buttons = new QVBoxLayout;
    auto button = [&](const QString& text, auto action) {
        auto* b = new QPushButton(text, this);
        b->setEnabled(static_cast<bool>(store.writer));
        connect(b, &QPushButton::clicked, this, action);
        buttons->addWidget(b);
    };
    button(tr("Add…"), [this] {
        bool ok = false;
        const QString name =
            QInputDialog::getText(this, tr("Add a category"), tr("Name:"), QLineEdit::Normal, {}, &ok);
        if (ok && !name.trimmed().isEmpty())
            addCategory(name.trimmed(), {});
    });
    button(tr("Rename…"), [this] {
        const auto category = selected();
        bool ok = false;
        if (!category)
            return;
        const QString name = QInputDialog::getText(this, tr("Rename"), tr("Name:"), QLineEdit::Normal,
                                                   QString::fromStdString(category->name), &ok);
        if (ok && !name.trimmed().isEmpty())
            renameCategory(category->id, name.trimmed());
    });
    button(tr("Describe…"), [this] {
        const auto category = selected();
        bool ok = false;
        if (!category)
            return;
        const QString text = QInputDialog::getMultiLineText(
            this, tr("Describe"), tr("What it means:"), QString::fromStdString(category->description), &ok);
        if (ok)
            describeCategory(category->id, text.trimmed());
    });
    button(tr("Retire / restore"), [this] {
        if (const auto category = selected())
            retireCategory(category->id, !category->retired);
    });
    button(tr("Up"), [this] {
        if (const auto category = selected())
            moveCategory(category->id, std::max(1, m_list->currentRow()));
    });
    button(tr("Down"), [this] {
        if (const auto category = selected())
            moveCategory(category->id, m_list->currentRow() + 2);
    });
    buttons->addStretch();
    row->addLayout(buttons);
    layout->addLayout(row, 1);
    m_status = new QLabel(store.writer ? QString() : tr("This store is open read-only."), this);
    layout->addWidget(m_status);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(close);
    run({}, {});
}

QString TaxonomyDialog::status() const
{
    return m_status->text();
}

std::optional<ReviewCategory> TaxonomyDialog::selected() const
{
    const int row = m_list->currentRow();
    if (row < 0 || row >= static_cast<int>(m_categories.size()))
        return std::nullopt;
    return m_categories[size_t(row)];
}

void TaxonomyDialog::addCategory(const QString& name, const QString& description)
{
    const auto taken = std::find_if(m_categories.begin(), m_categories.end(), [&](const ReviewCategory& c) {
        return QString::fromStdString(c.name).compare(name, Qt::CaseInsensitive) == 0;
    });
    if (taken != m_categories.end()) {
        m_status->setText(tr("There is a category named “%1” already.").arg(name));
        return;
    }
    run([name = name.toStdString(), description = description.toStdString(),
         author = m_author](ReviewStore& review) { review.addCategory(name, description, author); },
        tr("Added “%1”.").arg(name));
}

void TaxonomyDialog::renameCategory(std::int64_t id, const QString& name)
{
    run([id, name = name.toStdString(),
         author = m_author](ReviewStore& review) { review.renameCategory(id, name, author); },
        tr("Renamed to “%1”.").arg(name));
}

void TaxonomyDialog::describeCategory(std::int64_t id, const QString& description)
{
    run([id, description = description.toStdString(),
         author = m_author](ReviewStore& review) { review.describeCategory(id, description, author); },
        tr("Described."));
}

void TaxonomyDialog::retireCategory(std::int64_t id, bool retired)
{
    run([id, retired, author = m_author](ReviewStore& review) { review.retireCategory(id, retired, author); },
        retired ? tr("Retired: its labels stay.") : tr("Restored."));
}

void TaxonomyDialog::moveCategory(std::int64_t id, int position)
{
    run([id, position, author = m_author](ReviewStore& review) { review.moveCategory(id, position, author); },
        tr("Moved."));
}

void TaxonomyDialog::run(std::function<void(ReviewStore&)> change, const QString& done)
{
    auto writer = m_store.writer;
    m_jobs->start<std::vector<ReviewCategory>>(
        [writer, change](JobContext& context) {
            if (change && writer) {
                Status written = writer->write(WritePriority::Interactive, [&change](WriteTransaction& tx) {
                    ReviewStore review(tx.database());
                    change(review);
                    tx.changed(StoreChange::Review);
                });
                if (!written)
                    throw Failure(written.error());
            }
            return ReviewStore(context.database()).categories();
        },
        [this, done](std::vector<ReviewCategory> categories) {
            const int row = m_list->currentRow();
            m_categories = std::move(categories);
            m_list->clear();
            for (const ReviewCategory& c : m_categories) {
                auto* item = new QListWidgetItem(
                    QString::fromStdString(c.name) + (c.retired ? tr("  (retired)") : QString()), m_list);
                item->setToolTip(QString::fromStdString(c.description));
                if (c.retired)
                    item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
            }
            m_list->setCurrentRow(std::min(row, m_list->count() - 1));
            if (!done.isEmpty())
                m_status->setText(done);
            Q_EMIT loaded();
        },
        [this](const Error& error) {
            m_status->setText(
                tr("Could not save or read the taxonomy: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT loaded();
        });
}

} // namespace winnow
