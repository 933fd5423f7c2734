#pragma once
// Shared by the core tests: a temporary folder and file helpers.

#include <QTemporaryDir>

#include <fstream>
#include <string>

namespace winnow::test {

class TempDir
{
public:
    std::string path(const std::string& name) const
    {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }
    std::string write(const std::string& name, const std::string& content,
                      std::ios::openmode mode = std::ios::trunc) const
    {
        const std::string file = path(name);
        std::ofstream out(file, std::ios::binary | std::ios::out | mode);
        out << content;
        return file;
    }
    std::string append(const std::string& name, const std::string& content) const
    {
        return write(name, content, std::ios::app);
    }

private:
    QTemporaryDir m_dir;
};

inline std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string dataFile(const std::string& name)
{
    return std::string(WINNOW_TEST_DATA) + "/" + name;
}

} // namespace winnow::test
