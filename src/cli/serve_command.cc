#include "src/cli/serve_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "src/server/log.h"
#include "src/server/serve_config.h"
#include "src/server/service.h"
#include "warden/status.h"

extern char** environ;

namespace warden {
namespace {

std::string Dashed(const std::string& key) {
  std::string out = key;
  for (char& ch : out) {
    if (ch == '_') ch = '-';
  }
  return out;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "warden serve: %s\n", status.message().c_str());
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

CLI::App* AddServeCommand(CLI::App* app, ServeCommandOptions* options) {
  CLI::App* cmd = app->add_subcommand(
      "serve",
      "Run the matching service: HMA 2.0's API and Warden's /v1/ API (docs/api.md).");
  cmd->add_option("--config", options->config_file,
                  "Configuration file of 'key = value' lines (also $WARDEN_CONFIG)");
  const ServeConfig defaults;
  for (const ServeSetting& setting : ServeSettings()) {
    const std::string key = setting.key;
    cmd->add_option_function<std::string>(
           "--" + Dashed(key),
           [options, key](const std::string& value) { options->flags[key] = value; },
           setting.help + " [env WARDEN_" + [&] {
             std::string upper = key;
             for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
             return upper;
           }() + "]")
        ->default_str(setting.get(defaults))
        ->type_name("VALUE");
  }
  cmd->footer(
      "Precedence: defaults < config file < WARDEN_* environment < flags.\n"
      "Prints 'listening on http://HOST:PORT' on standard output when ready; logs go to\n"
      "standard error. SIGTERM or SIGINT drains in-flight requests and exits 0.\n"
      "Keys: warden keys create --role hasher|matcher|curator|admin --name NAME.");
  return cmd;
}

int RunServeCommand(const ServeCommandOptions& options) {
  ServeConfig config;
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || entry.substr(0, 7) != "WARDEN_") continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  std::string config_file = options.config_file;
  if (config_file.empty()) {
    if (auto it = env.find("WARDEN_CONFIG"); it != env.end()) config_file = it->second;
  }
  if (!config_file.empty()) {
    if (Status s = LoadServeConfigFile(config_file, &config); !s.ok()) return Fail(s);
  }
  if (Status s = ApplyServeEnvironment(env, &config); !s.ok()) return Fail(s);
  for (const auto& [key, value] : options.flags) {
    if (Status s = ApplyServeSetting(key, value, &config); !s.ok()) {
      return Fail(Status::InvalidArgument("--" + Dashed(key) + ": " + s.message()));
    }
  }
  if (Status s = ValidateServeConfig(config); !s.ok()) return Fail(s);

  Result<LogLevel> level = ParseLogLevel(config.log_level);
  Result<LogFormat> format = ParseLogFormat(config.log_format);
  if (!level.ok()) return Fail(level.status());
  if (!format.ok()) return Fail(format.status());
  Logger log(stderr, *level, *format);

  // Block the stop signals in every thread (the service's threads inherit this mask) and wait
  // for them here, so a signal never interrupts a worker in the middle of a request.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  log.Info("starting", {{"db", config.db}, {"listen", config.listen}, {"port", config.port}});
  Result<std::unique_ptr<Service>> service = Service::Create(config, &log);
  if (!service.ok()) {
    log.Error("cannot start", {{"error", service.status().message()}});
    return Fail(service.status());
  }
  if (Status s = (*service)->Start(); !s.ok()) {
    log.Error("cannot listen", {{"error", s.message()}});
    return Fail(s);
  }
  const bool v6 = config.listen.find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", config.listen.c_str(), v6 ? "]" : "",
              (*service)->port());
  std::fflush(stdout);
  log.Info("listening", {{"address", config.listen}, {"port", (*service)->port()}});

  int received = 0;
  sigwait(&stop_signals, &received);
  log.Info("stopping: draining in-flight requests", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*service)->Stop();
  log.Info("stopped");
  return 0;
}

}  // namespace warden
