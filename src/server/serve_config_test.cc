#include "src/server/serve_config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

namespace warden {
namespace {

// A file under the test's temporary directory, removed afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr ? dir : "/tmp") + "/serve_config_test_" +
            std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".conf";
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST(ServeConfigTest, TableCoversEveryFieldOnceWithHelp) {
  std::set<std::string> keys;
  for (const ServeSetting& s : ServeSettings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << "duplicate " << s.key;
    EXPECT_FALSE(s.help.empty()) << s.key;
    EXPECT_TRUE(s.set && s.get && s.check) << s.key;
  }
  // Every ServeConfig member, by name.
  std::set<std::string> expected = {"db",
                                    "audit_db",
                                    "listen",
                                    "port",
                                    "io_threads",
                                    "worker_threads",
                                    "max_connections",
                                    "max_body_bytes",
                                    "max_pixels",
                                    "header_timeout_ms",
                                    "read_timeout_ms",
                                    "idle_timeout_ms",
                                    "drain_timeout_ms",
                                    "max_lookup_batch",
                                    "rate_limit",
                                    "rate_burst_s",
                                    "url_allow_list",
                                    "fetch_max_bytes",
                                    "fetch_timeout_ms",
                                    "pipeline",
                                    "pdq_threshold",
                                    "dihedral",
                                    "refresh_interval_ms",
                                    "log_level",
                                    "log_format",
                                    "metrics_public",
                                    "audit_lookups",
                                    "audit_retention_days"};
  EXPECT_EQ(keys, expected);
}

TEST(ServeConfigTest, DefaultsAreValidAndDescribed) {
  ServeConfig config;
  EXPECT_TRUE(ValidateServeConfig(config).ok());
  std::string text = DescribeServeConfig(config);
  EXPECT_NE(text.find("port = 8080\n"), std::string::npos) << text;
  EXPECT_NE(text.find("max_body_bytes = 20971520\n"), std::string::npos);
  EXPECT_NE(text.find("rate_burst_s = 2\n"), std::string::npos);
  EXPECT_NE(text.find("dihedral = false\n"), std::string::npos);
  EXPECT_NE(text.find("url_allow_list = \n"), std::string::npos);
}

TEST(ServeConfigTest, GetSetRoundTripsEverySetting) {
  ServeConfig config;
  config.url_allow_list = {"127.0.0.1", "10.0.0.0/8", "::1"};
  config.rate_limit = 0.1;
  ServeConfig copy;
  for (const ServeSetting& s : ServeSettings()) {
    ASSERT_TRUE(s.set(s.get(config), &copy).ok()) << s.key;
  }
  EXPECT_EQ(DescribeServeConfig(copy), DescribeServeConfig(config));
  EXPECT_EQ(copy.url_allow_list, config.url_allow_list);
  EXPECT_EQ(copy.rate_limit, 0.1);
}

TEST(ServeConfigTest, ParsesValuesOfEachKind) {
  ServeConfig c;
  ASSERT_TRUE(ApplyServeSetting("port", " 9090 ", &c).ok());
  EXPECT_EQ(c.port, 9090);
  ASSERT_TRUE(ApplyServeSetting("max_body_bytes", "4k", &c).ok());
  EXPECT_EQ(c.max_body_bytes, 4096);
  ASSERT_TRUE(ApplyServeSetting("max_body_bytes", "3M", &c).ok());
  EXPECT_EQ(c.max_body_bytes, 3 << 20);
  ASSERT_TRUE(ApplyServeSetting("fetch_max_bytes", "2GiB", &c).ok());
  EXPECT_EQ(c.fetch_max_bytes, int64_t{2} << 30);
  ASSERT_TRUE(ApplyServeSetting("fetch_max_bytes", "12345", &c).ok());
  EXPECT_EQ(c.fetch_max_bytes, 12345);
  ASSERT_TRUE(ApplyServeSetting("rate_limit", "2.5", &c).ok());
  EXPECT_EQ(c.rate_limit, 2.5);
  for (const char* yes : {"true", "1", "yes", "YES"}) {
    c.dihedral = false;
    ASSERT_TRUE(ApplyServeSetting("dihedral", yes, &c).ok()) << yes;
    EXPECT_TRUE(c.dihedral) << yes;
  }
  for (const char* no : {"false", "0", "no"}) {
    c.dihedral = true;
    ASSERT_TRUE(ApplyServeSetting("dihedral", no, &c).ok()) << no;
    EXPECT_FALSE(c.dihedral) << no;
  }
  ASSERT_TRUE(ApplyServeSetting("url_allow_list", " 127.0.0.1, ::1 ,,10.0.0.0/8 ", &c).ok());
  EXPECT_EQ(c.url_allow_list, (std::vector<std::string>{"127.0.0.1", "::1", "10.0.0.0/8"}));
  ASSERT_TRUE(ApplyServeSetting("url_allow_list", "", &c).ok());
  EXPECT_TRUE(c.url_allow_list.empty());
  // A range that is none is refused when the setting is read, not at the first fetch; the
  // old value stays, and a config built in code is refused by ValidateServeConfig.
  ASSERT_TRUE(ApplyServeSetting("url_allow_list", "fetch.example", &c).ok());
  Status bad = ApplyServeSetting("url_allow_list", "127.0.0.1, 10.0.0.0/99", &c);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("'10.0.0.0/99' is not a CIDR range"), std::string::npos)
      << bad.message();
  EXPECT_EQ(c.url_allow_list, std::vector<std::string>{"fetch.example"});
  ServeConfig coded;
  coded.url_allow_list = {"fd00::/129"};
  EXPECT_FALSE(ValidateServeConfig(coded).ok());
  c.url_allow_list.clear();
  ASSERT_TRUE(ApplyServeSetting("pipeline", "fast", &c).ok());
  EXPECT_EQ(c.pipeline, "fast");
}

TEST(ServeConfigTest, RefusesBadValuesAndLeavesTheOldOne) {
  ServeConfig c;
  struct Case {
    const char* key;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"port", "80x", "port: '80x' is not an integer"},
      {"port", "70000", "port must be between 0 and 65535, got 70000"},
      {"port", "-1", "port must be between 0 and 65535, got -1"},
      {"port", "99999999999", "port: '99999999999' is out of range"},
      {"io_threads", "0", "io_threads must be between 1 and 256, got 0"},
      {"max_body_bytes", "5x", "max_body_bytes: '5x' is not a size"},
      {"max_body_bytes", "k", "max_body_bytes: 'k' is not a size"},
      {"max_body_bytes", "0", "max_body_bytes must be between 1 and"},
      {"max_body_bytes", "99999999999999999g", "is not a size"},
      {"rate_limit", "0", "rate_limit must be above 0"},
      {"rate_limit", "nan", "rate_limit: 'nan' is not a number"},
      {"dihedral", "maybe", "dihedral: 'maybe' is not one of true, false, 1, 0, yes, no"},
      {"pipeline", "slow", "pipeline: 'slow' is not one of fullres, cli512, fast"},
      {"log_level", "loud", "log_level: 'loud' is not one of debug, info, warn, error"},
      {"db", "  ", "db must not be empty"},
      {"pdq_threshold", "257", "pdq_threshold must be between 0 and 256, got 257"},
  };
  for (const Case& t : cases) {
    Status s = ApplyServeSetting(t.key, t.value, &c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << t.key << "=" << t.value;
    EXPECT_NE(s.message().find(t.message), std::string::npos)
        << t.key << "=" << t.value << ": " << s.message();
  }
  EXPECT_EQ(DescribeServeConfig(c), DescribeServeConfig(ServeConfig()));  // nothing changed

  Status unknown = ApplyServeSetting("prot", "1", &c);
  EXPECT_EQ(unknown.message(), "unknown setting 'prot'");
}

TEST(ServeConfigTest, LoadsAFile) {
  TempFile file(
      "\xEF\xBB\xBF# Warden\r\n"
      "port = 9000\r\n"
      "\n"
      "   db=/var/lib/warden/data#2.db   # the store\n"
      "url_allow_list = 127.0.0.1, ::1\n"
      "metrics_public = yes\n"
      "port = 9001");  // a later line wins; no final newline
  ServeConfig c;
  Status s = LoadServeConfigFile(file.path(), &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.port, 9001);
  EXPECT_EQ(c.db, "/var/lib/warden/data#2.db");
  EXPECT_EQ(c.url_allow_list, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_TRUE(c.metrics_public);
  EXPECT_EQ(c.listen, "127.0.0.1");  // untouched default
}

TEST(ServeConfigTest, FileErrorsNamePathLineAndKey) {
  {
    TempFile file("port = 9000\n# ok\nworker_threads = many\n");
    ServeConfig c;
    Status s = LoadServeConfigFile(file.path(), &c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), file.path() + ":3: worker_threads: 'many' is not an integer");
    EXPECT_EQ(c.port, 8080);  // unchanged on error
  }
  {
    TempFile file("\n\nverbose = 1\n");
    ServeConfig c;
    Status s = LoadServeConfigFile(file.path(), &c);
    EXPECT_EQ(s.message(), file.path() + ":3: unknown setting 'verbose'");
  }
  {
    TempFile file("port 9000\n");
    ServeConfig c;
    Status s = LoadServeConfigFile(file.path(), &c);
    EXPECT_EQ(s.message(), file.path() + ":1: expected 'key = value', got 'port 9000'");
  }
  {
    TempFile file(" = 3\n");
    ServeConfig c;
    EXPECT_EQ(LoadServeConfigFile(file.path(), &c).message(),
              file.path() + ":1: missing key before '='");
  }
  ServeConfig c;
  Status missing = LoadServeConfigFile("/nonexistent/warden.conf", &c);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("/nonexistent/warden.conf"), std::string::npos);
  Status directory = LoadServeConfigFile("/", &c);
  EXPECT_EQ(directory.code(), StatusCode::kIoError);
  EXPECT_NE(directory.message().find("/"), std::string::npos);
}

TEST(ServeConfigTest, Environment) {
  ServeConfig c;
  std::map<std::string, std::string> env = {{"WARDEN_PORT", "7000"},
                                            {"WARDEN_DB", "/tmp/x.db"},
                                            {"WARDEN_CONFIG", "/etc/warden.conf"},
                                            {"WARDEN_LOG_FORMAT", "text"},
                                            {"PORT", "1"}};
  ASSERT_TRUE(ApplyServeEnvironment(env, &c).ok());
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.db, "/tmp/x.db");
  EXPECT_EQ(c.log_format, "text");

  ServeConfig d;
  Status s = ApplyServeEnvironment({{"WARDEN_PORT", "1"}, {"WARDEN_MAX_PIXELS", "lots"}}, &d);
  EXPECT_EQ(s.message(),
            "environment variable WARDEN_MAX_PIXELS: max_pixels: 'lots' is not an integer");
  EXPECT_EQ(d.port, 8080);  // unchanged on error
}

TEST(ServeConfigTest, ValidateChecksValuesSetInCode) {
  ServeConfig c;
  c.worker_threads = 0;
  EXPECT_EQ(ValidateServeConfig(c).message(), "worker_threads must be between 1 and 1024, got 0");
  c = ServeConfig();
  c.pipeline = "turbo";
  EXPECT_EQ(ValidateServeConfig(c).message(),
            "pipeline: 'turbo' is not one of fullres, cli512, fast");
  c = ServeConfig();
  c.rate_burst_s = -1;
  EXPECT_FALSE(ValidateServeConfig(c).ok());
  c = ServeConfig();
  c.url_allow_list = {"a,b"};
  EXPECT_FALSE(ValidateServeConfig(c).ok());
  c = ServeConfig();
  c.log_format = "xml";
  EXPECT_EQ(ValidateServeConfig(c).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden
