// graft-cli: the engine from the shell. main() sets up logging (stderr only, so stdout stays
// machine-readable), then dispatches to a subcommand from the table in commands.h.
#include <google/protobuf/stubs/logging.h>
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>
#include <new>
#include <onnx/common/version.h>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "graft/analysis.h"

namespace {

using namespace graft::cli;

void printUsage(std::ostream& out) {
  out << "Usage: graft-cli [--verbose | --log-level LEVEL] <command> [options]\n"
         "\n"
         "Graft from the shell: inspect, check and convert ONNX models.\n"
         "\n"
         "Commands:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : kCommands) rows.push_back({c.name, c.summary});
  out << formatTable(rows, "  ");
  out << "\n"
         "Options:\n"
         "  -h, --help         show this help (graft-cli <command> --help for a command)\n"
         "  -V, --version      show the version\n"
         "  -v, --verbose      log what the engine does on stderr (same as --log-level debug)\n"
         "  --log-level LEVEL  trace, debug, info, warn, error or off (default: off)\n"
         "\n"
         "Exit codes: 0 success, 1 model invalid (check), 2 usage error, 3 error (read, parse, write).\n";
}

// protobuf prints parse complaints straight to stderr; the engine already turns them into
// a Status, so they go to the debug log instead of breaking the one-line error rule.
void protobufToLog(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  auto spdLevel = level >= google::protobuf::LOGLEVEL_ERROR ? spdlog::level::debug : spdlog::level::trace;
  spdlog::log(spdLevel, "protobuf {}:{}: {}", file, line, message);
}

void setUpLogging() {
  auto logger = spdlog::stderr_color_mt("graft-cli");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::off);
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug still works for whoever knows it
  google::protobuf::SetLogHandler(&protobufToLog);
}

int dispatch(std::vector<std::string> args) {
  // Global options come before the command.
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      printUsage(std::cout);
      return kExitOk;
    }
    if (a == "-V" || a == "--version") {
      std::cout << "graft-cli " << GRAFT_VERSION << " (onnx " << onnx::LAST_RELEASE_VERSION << ", ai.onnx opset "
                << graft::maxKnownOpset("") << ")\n";
      return kExitOk;
    }
    if (a == "-v" || a == "--verbose") {
      spdlog::set_level(spdlog::level::debug);
      continue;
    }
    if (a == "--log-level" || a.rfind("--log-level=", 0) == 0) {
      std::string level;
      if (a == "--log-level") {
        if (i + 1 >= args.size()) {
          std::cerr << "graft-cli: option '--log-level' needs a value (see 'graft-cli --help')" << std::endl;
          return kExitUsage;
        }
        level = args[++i];
      } else {
        level = a.substr(12);
      }
      auto parsed = spdlog::level::from_str(level);
      // from_str maps anything unknown to off; only accept "off" when it was meant.
      if (parsed == spdlog::level::off && level != "off") {
        std::cerr << "graft-cli: unknown log level '" << level
                  << "' (use trace, debug, info, warn, error or off)" << std::endl;
        return kExitUsage;
      }
      spdlog::set_level(parsed);
      continue;
    }
    break;
  }
  if (i >= args.size()) {
    std::cerr << "graft-cli: missing command (see 'graft-cli --help')" << std::endl;
    return kExitUsage;
  }
  const std::string& name = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());

  if (name == "help") {
    if (rest.empty()) {
      printUsage(std::cout);
      return kExitOk;
    }
    const Command* c = findCommand(rest[0]);
    if (!c) {
      std::cerr << "graft-cli: help: unknown command '" << rest[0] << "' (see 'graft-cli --help')" << std::endl;
      return kExitUsage;
    }
    return c->run({"--help"});
  }
  if (!name.empty() && name[0] == '-') {
    std::cerr << "graft-cli: unknown option '" << name << "' (see 'graft-cli --help')" << std::endl;
    return kExitUsage;
  }
  const Command* c = findCommand(name);
  if (!c) {
    std::cerr << "graft-cli: unknown command '" << name << "' (see 'graft-cli --help' for the commands)"
              << std::endl;
    return kExitUsage;
  }
  return c->run(std::move(rest));
}

}  // namespace

int main(int argc, char** argv) {
  setUpLogging();
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    int code = dispatch(std::move(args));
    std::cout.flush();
    if (!std::cout) {
      // e.g. `graft-cli inspect m.onnx --json > /full/disk`
      std::cerr << "graft-cli: could not write to standard output" << std::endl;
      return kExitError;
    }
    return code;
  } catch (const std::bad_alloc&) {
    std::cerr << "graft-cli: out of memory" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "graft-cli: internal error: " << oneLine(e.what()) << " (please report it)" << std::endl;
  }
  return kExitError;
}
