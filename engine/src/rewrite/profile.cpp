// Backend profiles: a line-oriented file (see docs/rules.md) naming the rules a backend wants,
// what it fuses by itself, and what blocks it, with comments citing the backend's documentation.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "graft/rewrite.h"
#include "pattern/text.h"

namespace graft {

namespace fs = std::filesystem;

Result<Profile> parseProfile(const std::string& content, const std::string& fileName) {
  Profile p;
  p.path = fileName;
  text::Cursor cur(content, fileName);
  fs::path dir = fs::path(fileName).parent_path();
  bool named = false;
  std::set<std::string> once;
  for (;;) {
    cur.skipSpace();
    if (cur.atEnd()) break;
    SourcePos at = cur.pos();
    std::string key = cur.word();
    if (key.empty()) return cur.error("expected a key (profile, description, opset, domains, rules, apply, "
                                      "backend-fuses, block)");
    if (!named && key != "profile") return cur.error(at, "a profile file starts with 'profile NAME'");
    if (key == "profile") {
      if (named) return cur.error(at, "'profile' is given twice");
      p.name = cur.word();
      if (p.name.empty()) return cur.error("expected the profile's name after 'profile'");
      std::string rest = cur.restOfLine();
      if (!rest.empty()) return cur.error(at, "unexpected '" + rest + "' after the profile name");
      named = true;
      continue;
    }
    if (key == "block") {
      Blocker b;
      b.pos = at;
      cur.skipInlineSpace();
      SourcePos kpos = cur.pos();
      std::string kind = cur.word();
      std::string line = cur.restOfLine();
      auto sep = line.find(": \"");
      if (sep == std::string::npos || line.back() != '"')
        return cur.error(kpos, "a block line ends with ': \"reason\"' (say why, and cite the backend's docs)");
      b.reason = line.substr(sep + 3, line.size() - sep - 4);
      std::string spec = text::trim(line.substr(0, sep));
      if (kind == "op") {
        b.kind = Blocker::Kind::Op;
        if (spec.empty()) return cur.error(kpos, "block op needs an op type, e.g. 'block op Loop: \"...\"'");
        b.op = spec;
      } else if (kind == "attribute") {
        b.kind = Blocker::Kind::Attribute;
        std::string target = spec, cond;
        if (auto sp = spec.find(' '); sp != std::string::npos) {
          target = spec.substr(0, sp);
          cond = text::trim(spec.substr(sp + 1));
        }
        auto dot = target.rfind('.');
        if (dot == std::string::npos)
          return cur.error(kpos, "block attribute takes OP.ATTRIBUTE, e.g. 'block attribute Resize.mode in [\"cubic\"]'");
        b.op = target.substr(0, dot);
        b.attribute = target.substr(dot + 1);
        if (!cond.empty()) {
          if (cond.rfind("in ", 0) == 0) {
            std::string set = text::trim(cond.substr(3));
            if (set.size() < 2 || set.front() != '[' || set.back() != ']')
              return cur.error(kpos, "expected a set [a, b] after 'in'");
            for (const auto& item : text::splitTopLevel(std::string_view(set).substr(1, set.size() - 2))) {
              auto lit = text::parseLiteral(item, false);
              if (!lit) return cur.error(kpos, lit.message());
              b.values.push_back(*lit);
            }
          } else if (cond.rfind("==", 0) == 0) {
            auto lit = text::parseLiteral(cond.substr(2), false);
            if (!lit) return cur.error(kpos, lit.message());
            b.values.push_back(*lit);
          } else {
            return cur.error(kpos, "after OP.ATTRIBUTE write '== VALUE' or 'in [VALUES]' (or nothing)");
          }
        }
      } else if (kind == "dtype") {
        b.kind = Blocker::Kind::DType;
        std::string dt = spec, op = "*";
        if (auto sp = spec.find(' '); sp != std::string::npos) {
          dt = spec.substr(0, sp);
          op = text::trim(spec.substr(sp + 1));
        }
        b.dtype = text::dtypeFromName(dt);
        if (!b.dtype) return cur.error(kpos, "'" + dt + "' is not a dtype (float16, float64, int8, ...)");
        b.op = op;
      } else if (kind == "dynamic-shape") {
        b.kind = Blocker::Kind::DynamicShape;
        b.op = spec.empty() ? "*" : spec;
      } else {
        return cur.error(kpos, "unknown blocker '" + kind + "' (op, attribute, dtype, dynamic-shape)");
      }
      p.blockers.push_back(std::move(b));
      continue;
    }
    cur.skipInlineSpace();
    if (!cur.consume(":")) return cur.error("expected ':' after '" + key + "'");
    SourcePos vpos = cur.pos();
    std::string v = cur.restOfLine();
    vpos = cur.pos();
    if (v.empty()) return cur.error(at, "'" + key + "' needs a value");
    auto list = text::splitTopLevel(v);
    if (key == "description") {
      if (v.size() < 2 || v.front() != '"' || v.back() != '"')
        return cur.error(at, "the description must be a \"quoted string\"");
      p.description = v.substr(1, v.size() - 2);
    } else if (key == "opset") {
      try {
        p.opset = std::stoll(v);
      } catch (...) {
        return cur.error(at, "opset must be a number, got '" + v + "'");
      }
    } else if (key == "domains") {
      for (auto& d : list) p.domains.push_back(d == "ai.onnx" ? "" : d);
    } else if (key == "rules") {
      for (auto& f : list) {
        fs::path path = f;
        if (path.is_relative()) {
          fs::path local = dir / path;
          if (fs::exists(local)) {
            path = local;
          } else {
            for (const auto& d : ruleSearchDirs())
              if (fs::exists(fs::path(d) / f)) {
                path = fs::path(d) / f;
                break;
              }
          }
        }
        if (!fs::exists(path)) return cur.error(at, "rule file '" + f + "' not found next to the profile or in the rules folder");
        p.ruleFiles.push_back(path.string());
      }
    } else if (key == "apply") {
      for (auto& r : list) {
        ProfileRule pr;
        pr.pos = at;
        if (r.rfind("inverse ", 0) == 0) {
          pr.inverse = true;
          pr.name = text::trim(r.substr(8));
        } else {
          pr.name = r;
        }
        if (pr.name.empty()) return cur.error(at, "an empty rule name in 'apply'");
        p.rules.push_back(std::move(pr));
      }
    } else if (key == "backend-fuses") {
      for (auto& r : list) p.backendFuses.push_back(r);
    } else if (key.rfind("quantize-", 0) == 0 && key.size() > 9) {
      auto& values = p.quantize[key.substr(9)];
      values.insert(values.end(), list.begin(), list.end());
    } else {
      return cur.error(at, "unknown key '" + key + "' (profile, description, opset, domains, rules, apply, "
                                                   "backend-fuses, block, quantize-*)");
    }
    if ((key == "description" || key == "opset" || key == "domains") && !once.insert(key).second)
      return cur.error(at, "'" + key + "' is given twice");
  }
  if (!named) return Status(ErrorCode::InvalidArgument, fileName + ": empty profile (start with 'profile NAME')");
  return p;
}

Result<Profile> loadProfileFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::NotFound, path + ": cannot open the profile");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseProfile(ss.str(), path);
}

namespace {
std::vector<std::string> resourceDirs(const std::string& sub) {
  std::vector<std::string> dirs;
  const char* env = std::getenv(sub == "profiles" ? "GRAFT_PROFILE_PATH" : "GRAFT_RULE_PATH");
  if (env) {
    std::stringstream ss(env);
    std::string d;
    while (std::getline(ss, d, ':'))
      if (!d.empty()) dirs.push_back(d);
  }
#ifdef GRAFT_SOURCE_DIR_FOR_RESOURCES
  dirs.push_back(std::string(GRAFT_SOURCE_DIR_FOR_RESOURCES) + "/resources/" + sub);
#endif
  // Installed layout: <prefix>/bin/graft-cli and <prefix>/share/graft/<sub>.
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back((exe.parent_path().parent_path() / "share" / "graft" / sub).string());
    // Build tree: <build>/app/cli/graft-cli; the source tree is found through CMakeCache.
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      fs::path cache = p / "CMakeCache.txt";
      if (fs::exists(cache)) {
        std::ifstream in(cache);
        std::string line;
        while (std::getline(in, line))
          if (line.rfind("CMAKE_HOME_DIRECTORY:INTERNAL=", 0) == 0) {
            dirs.push_back(line.substr(30) + "/resources/" + sub);
            break;
          }
        break;
      }
    }
  }
  dirs.push_back("/usr/share/graft/" + sub);
  std::vector<std::string> unique;
  for (auto& d : dirs)
    if (std::find(unique.begin(), unique.end(), d) == unique.end()) unique.push_back(d);
  return unique;
}
}  // namespace

std::vector<std::string> profileSearchDirs() { return resourceDirs("profiles"); }
std::vector<std::string> ruleSearchDirs() { return resourceDirs("rules"); }

Result<Profile> findProfile(const std::string& nameOrPath) {
  bool isPath = nameOrPath.find('/') != std::string::npos ||
                (nameOrPath.size() > 8 && nameOrPath.substr(nameOrPath.size() - 8) == ".profile");
  if (isPath) return loadProfileFile(nameOrPath);
  for (const auto& d : profileSearchDirs()) {
    fs::path p = fs::path(d) / (nameOrPath + ".profile");
    if (fs::exists(p)) return loadProfileFile(p.string());
  }
  auto names = availableProfiles();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  return Status(ErrorCode::NotFound, "no backend profile named '" + nameOrPath + "' (available: " +
                                         (known.empty() ? "none found" : known) + "; or give a path to a .profile file)");
}

std::vector<std::string> availableProfiles() {
  std::set<std::string> names;
  for (const auto& d : profileSearchDirs()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.path().extension() == ".profile") names.insert(e.path().stem().string());
  }
  return {names.begin(), names.end()};
}

}  // namespace graft
