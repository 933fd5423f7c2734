#pragma once
// The main window. Until the dashboard lands it shows which store is open and what it holds; the
// counts are read on a worker thread with the worker's own read-only connection.

#include <QMainWindow>

class QLabel;

namespace winnow {

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const QString& storePath, QWidget* parent = nullptr);

    QString storePath() const { return m_storePath; }
    // The text shown for the store's contents (for tests).
    QString summaryText() const;

Q_SIGNALS:
    void statsLoaded();

public Q_SLOTS:
    void openStore(const QString& path);
    void refresh();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    QString m_storePath;
    QLabel* m_title = nullptr;
    QLabel* m_path = nullptr;
    QLabel* m_summary = nullptr;
    quint64 m_generation = 0; // a newer refresh makes older results stale
};

} // namespace winnow
