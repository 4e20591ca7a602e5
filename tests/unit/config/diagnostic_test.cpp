#include "config/diagnostic.hpp"

#include <gtest/gtest.h>

namespace relay::host {
namespace {

TEST(ConfigDiagnostic, FormatsLikeACompiler) {
    const Diagnostic d{{"pipeline.yaml", 9, 49},
                       "queue.partitions",
                       "expected a positive integer, got \"twelve\""};
    EXPECT_EQ(d.format(),
              "pipeline.yaml:9:49: queue.partitions: expected a positive integer, got \"twelve\"");
}

TEST(ConfigDiagnostic, LeavesOutEmptyParts) {
    EXPECT_EQ((Diagnostic{{"p.yaml", 4, 7}, "", "invalid YAML: x"}).format(),
              "p.yaml:4:7: invalid YAML: x");
    EXPECT_EQ(
        (Diagnostic{{"dir/p.yaml", 0, 0}, "", "cannot read: No such file or directory"}).format(),
        "dir/p.yaml: cannot read: No such file or directory");
}

TEST(ConfigDiagnostic, ParsesItsOwnFormat) {
    const auto d =
        Diagnostic::parse("conf/p.yaml:3:16: transport.burst: expected at least 2", "conf/p.yaml");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->where.file, "conf/p.yaml");
    EXPECT_EQ(d->where.line, 3);
    EXPECT_EQ(d->where.column, 16);
    EXPECT_EQ(d->key_path, "transport.burst");
    EXPECT_EQ(d->message, "expected at least 2");
    EXPECT_FALSE(Diagnostic::parse("other.yaml:3:16: a: b", "conf/p.yaml"));
    EXPECT_FALSE(Diagnostic::parse("conf/p.yaml:x:16: a: b", "conf/p.yaml"));
}

TEST(ConfigDiagnostic, ErrorsAreSortedByLineThenColumnKeepingTies) {
    std::vector<Diagnostic> ds = {
        {{"f", 3, 1}, "c", "m"},
        {{"f", 1, 5}, "b", "m"},
        {{"f", 1, 1}, "a1", "m"},
        {{"f", 1, 1}, "a2", "m"},
    };
    sort_in_file_order(ds);
    const ConfigErrors errors(ds);
    EXPECT_STREQ(errors.what(), "f:1:1: a1: m\nf:1:1: a2: m\nf:1:5: b: m\nf:3:1: c: m");
    EXPECT_EQ(errors.diagnostics().size(), 4U);
}

}  // namespace
}  // namespace relay::host
