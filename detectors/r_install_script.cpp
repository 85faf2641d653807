// install.R, read as R source and never run. repo2docker runs it with Rscript; mlpack understands
// the calls that name packages to install and refuses everything else, so that what an image
// holds is what the files say. The tokenizer is a single forward pass (no backtracking), and the
// parser looks at one statement at a time with a bounded nesting depth.
#include <algorithm>
#include <set>
#include <system_error>

#include "cran/base_packages.hpp"
#include "cran/depends.hpp"
#include "cran/version.hpp"
#include "detectors/project.hpp"
#include "detectors/project_file.hpp"
#include "detectors/r_project.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

using util::ErrorKind;

namespace {

constexpr std::size_t kMaxScript = 1 << 20;
constexpr int kMaxNesting = 64;

enum class Tok {
  name,    // an identifier, `backticked` or bare
  string,  // "…" or '…', escapes decoded
  number,  // 1, 1.5e3, 0x10, 2L
  open,    // ( [ {
  close,   // ) ] }
  comma,
  equals,  // = (an argument's name)
  colons,  // :: or :::
  newline,
  semicolon,
  other,  // an operator or anything else R would read
};

struct Token {
  Tok kind;
  std::string text;
  int line;
};

bool is_name_start(unsigned char c) {
  return std::isalpha(c) || c == '.' || c >= 0x80;
}
bool is_name_char(unsigned char c) {
  return std::isalnum(c) || c == '.' || c == '_' || c >= 0x80;
}

class Script {
 public:
  Script(std::string_view text, std::string_view shown) : text_(text), shown_(shown) {}

  Result<std::vector<RRequirement>> parse() {
    TRY(tokenize());
    std::vector<RRequirement> out;
    std::size_t i = 0;
    while (i < tokens_.size()) {
      if (tokens_[i].kind == Tok::newline || tokens_[i].kind == Tok::semicolon) {
        ++i;
        continue;
      }
      TRY(statement(i, out));
    }
    return out;
  }

 private:
  struct Arg {
    std::optional<std::string> name;
    std::vector<std::size_t> value;  // indexes of the value's tokens, newlines left out
  };

  std::unexpected<util::Error> fail(int line, const std::string& what) const {
    return util::fail(ErrorKind::invalid_input, std::string(shown_) + ":" + std::to_string(line) + ": " + what);
  }

  std::string line_text(int line) const {
    std::size_t pos = 0;
    for (int l = 1; l < line && pos != std::string_view::npos; ++l) {
      pos = text_.find('\n', pos);
      if (pos != std::string_view::npos) ++pos;
    }
    if (pos == std::string_view::npos || pos > text_.size()) return "";
    auto end = text_.find('\n', pos);
    return util::trim(text_.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
  }

  // The refusal for whatever is not an install call mlpack understands.
  std::unexpected<util::Error> not_understood(int line, const std::string& why = "") const {
    return fail(line, (why.empty() ? "" : why + "; ") +
                          "mlpack reads install.R without running it and understands only `install.packages(…)` and "
                          "`remotes::install_version(…)` calls naming packages, not " +
                          quote_text(line_text(line)) +
                          ". List the packages in a DESCRIPTION file instead (`Imports: pkgA, pkgB (>= 1.2)`)");
  }

  // --- tokens ---

  Result<void> tokenize() {
    int line = 1;
    std::size_t i = 0;
    if (text_.starts_with("\xEF\xBB\xBF")) i = 3;
    while (i < text_.size()) {
      unsigned char c = static_cast<unsigned char>(text_[i]);
      if (c == '\n') {
        tokens_.push_back({Tok::newline, "", line});
        ++line;
        ++i;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++i;
      } else if (c == '#') {
        while (i < text_.size() && text_[i] != '\n') ++i;
      } else if (c == '"' || c == '\'') {
        TRY(string(i, line));
      } else if (c == '`') {
        auto end = text_.find('`', i + 1);
        if (end == std::string_view::npos) return fail(line, "a `backticked` name that does not end");
        auto name = text_.substr(i + 1, end - i - 1);
        tokens_.push_back({Tok::name, std::string(name), line});
        line += static_cast<int>(std::count(name.begin(), name.end(), '\n'));
        i = end + 1;
      } else if (std::isdigit(c) ||
                 (c == '.' && i + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        std::size_t start = i;
        while (i < text_.size() && (is_name_char(static_cast<unsigned char>(text_[i])))) ++i;
        tokens_.push_back({Tok::number, std::string(text_.substr(start, i - start)), line});
      } else if (is_name_start(c)) {
        std::size_t start = i;
        while (i < text_.size() && is_name_char(static_cast<unsigned char>(text_[i]))) ++i;
        tokens_.push_back({Tok::name, std::string(text_.substr(start, i - start)), line});
      } else if (c == ':' && i + 1 < text_.size() && text_[i + 1] == ':') {
        std::size_t n = i + 2 < text_.size() && text_[i + 2] == ':' ? 3 : 2;
        tokens_.push_back({Tok::colons, std::string(text_.substr(i, n)), line});
        i += n;
      } else if (c == '(' || c == '[' || c == '{') {
        tokens_.push_back({Tok::open, std::string(1, static_cast<char>(c)), line});
        ++i;
      } else if (c == ')' || c == ']' || c == '}') {
        tokens_.push_back({Tok::close, std::string(1, static_cast<char>(c)), line});
        ++i;
      } else if (c == ',') {
        tokens_.push_back({Tok::comma, ",", line});
        ++i;
      } else if (c == ';') {
        tokens_.push_back({Tok::semicolon, ";", line});
        ++i;
      } else if (c == '=' && !(i + 1 < text_.size() && text_[i + 1] == '=')) {
        tokens_.push_back({Tok::equals, "=", line});
        ++i;
      } else {
        // Operators: one token per character is enough to refuse them or skip them inside an
        // ignored argument (`==`, `<-`, `|>` and so on never reach a place where they count).
        tokens_.push_back({Tok::other, std::string(1, static_cast<char>(c)), line});
        ++i;
      }
    }
    return {};
  }

  // A quoted string at text_[i], its escapes decoded as far as package names and versions need
  // (`\\`, `\"`, `\'`, `\n`, `\t`; other escapes keep the escaped character, which no name has).
  Result<void> string(std::size_t& i, int& line) {
    char quote = text_[i];
    int start_line = line;
    std::string value;
    ++i;
    while (true) {
      if (i >= text_.size()) return fail(start_line, "a string that does not end");
      char c = text_[i];
      if (c == quote) {
        ++i;
        break;
      }
      if (c == '\n') ++line;
      if (c == '\\' && i + 1 < text_.size()) {
        char e = text_[i + 1];
        value.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        if (e == '\n') ++line;
        i += 2;
        continue;
      }
      value.push_back(c);
      ++i;
    }
    // r"(…)" raw strings: the `r` was read as a name just before; refused where it stands.
    tokens_.push_back({Tok::string, std::move(value), start_line});
    return {};
  }

  // --- statements ---

  bool at(std::size_t i, Tok kind) const { return i < tokens_.size() && tokens_[i].kind == kind; }

  // One statement starting at tokens_[i]: a call `[ns::]f(args)` followed by the end of the
  // statement. Moves i past it.
  Result<void> statement(std::size_t& i, std::vector<RRequirement>& out) {
    int line = tokens_[i].line;
    if (!at(i, Tok::name)) return not_understood(line);
    std::string ns, fn = tokens_[i].text;
    std::size_t j = i + 1;
    if (at(j, Tok::colons) && at(j + 1, Tok::name)) {
      ns = fn;
      fn = tokens_[j + 1].text;
      j += 2;
    }
    if (!(at(j, Tok::open) && tokens_[j].text == "(")) return not_understood(line);
    std::vector<Arg> args;
    TRY(arguments(j, args, line));  // j: past the closing parenthesis
    if (j < tokens_.size() && tokens_[j].kind != Tok::newline && tokens_[j].kind != Tok::semicolon)
      return not_understood(tokens_[j].line);
    i = j;

    bool utils_ns = ns.empty() || ns == "utils";
    bool remotes_ns = ns.empty() || ns == "remotes" || ns == "devtools";
    bool base_ns = ns.empty() || ns == "base";
    if (fn == "install.packages" && utils_ns) return install_packages(args, line, out);
    if (fn == "install_version" && remotes_ns) return install_version(args, line, out);
    if ((fn == "library" || fn == "require" || fn == "requireNamespace") && base_ns) return loads(args, line);
    for (std::string_view from : {"github", "gitlab", "bitbucket", "git", "svn", "url", "local", "bioc"})
      if (fn == "install_" + std::string(from))
        return not_understood(line, "packages from " + std::string(from) +
                                        " sources need building, and mlpack installs binary packages only");
    return not_understood(line);
  }

  // The arguments of a call whose `(` is tokens_[j]; j ends past the matching `)`.
  Result<void> arguments(std::size_t& j, std::vector<Arg>& args, int line) const {
    ++j;  // (
    int depth = 0;
    Arg current;
    bool any = false;  // the current argument has a name or a value
    while (true) {
      if (j >= tokens_.size()) return fail(line, "a call whose parentheses do not close");
      const auto& t = tokens_[j];
      if (t.kind == Tok::newline) {
        ++j;
        continue;
      }
      if (depth == 0 && (t.kind == Tok::comma || (t.kind == Tok::close && t.text == ")"))) {
        if (any || t.kind == Tok::comma) args.push_back(std::move(current));
        current = Arg{};
        any = false;
        ++j;
        if (t.kind == Tok::close) return {};
        continue;
      }
      if (depth == 0 && !any && (t.kind == Tok::name || t.kind == Tok::string)) {
        std::size_t k = j + 1;
        while (at(k, Tok::newline)) ++k;
        if (at(k, Tok::equals)) {
          current.name = t.text;
          any = true;
          j = k + 1;
          continue;
        }
      }
      if (t.kind == Tok::open) {
        if (++depth > kMaxNesting) return fail(t.line, "nested deeper than " + std::to_string(kMaxNesting) + " levels");
      } else if (t.kind == Tok::close) {
        if (depth == 0) return not_understood(t.line);  // `]` or `}` with nothing open
        --depth;
      } else if (t.kind == Tok::semicolon) {
        return not_understood(t.line);
      }
      current.value.push_back(j);
      any = true;
      ++j;
    }
  }

  const std::vector<std::size_t>& value_of(const Arg& a) const { return a.value; }

  // The strings an argument names: "a" or c("a", "b"). nullopt for anything else.
  std::optional<std::vector<const Token*>> strings(const Arg& a) const {
    const auto& v = value_of(a);
    std::vector<const Token*> out;
    if (v.size() == 1 && tokens_[v[0]].kind == Tok::string) return std::vector<const Token*>{&tokens_[v[0]]};
    if (v.size() < 3 || tokens_[v[0]].kind != Tok::name || tokens_[v[0]].text != "c" || tokens_[v[1]].text != "(" ||
        tokens_[v.back()].text != ")")
      return std::nullopt;
    bool want_string = true;
    for (std::size_t k = 2; k + 1 < v.size(); ++k) {
      const auto& t = tokens_[v[k]];
      if (want_string && t.kind == Tok::string) {
        out.push_back(&t);
        want_string = false;
      } else if (!want_string && t.kind == Tok::comma) {
        want_string = true;
      } else {
        return std::nullopt;
      }
    }
    return out;
  }

  // Splits args into the positional ones and those named `wanted` (in that order of priority: a
  // named argument takes its place, the positional ones fill the rest, as R matches them).
  // Other named arguments are ignored.
  Result<std::vector<std::optional<Arg>>> match(const std::vector<Arg>& args, const std::vector<std::string>& wanted,
                                                int line) const {
    std::vector<std::optional<Arg>> out(wanted.size());
    for (const auto& a : args)
      if (a.name)
        for (std::size_t k = 0; k < wanted.size(); ++k)
          if (*a.name == wanted[k]) out[k] = a;
    std::size_t k = 0;
    for (const auto& a : args) {
      if (a.name) continue;
      while (k < wanted.size() && out[k]) ++k;
      if (k == wanted.size()) return not_understood(line, "an argument mlpack does not know the meaning of");
      out[k++] = a;
    }
    return out;
  }

  Result<void> check_name(const Token& t) const {
    if (!cran::is_valid_package_name(t.text))
      return not_understood(t.line, quote_text(t.text) + " is not an R package name");
    return {};
  }

  RRequirement requirement(const Token& t) const {
    RRequirement r;
    r.name = t.text;
    r.file = std::string(shown_);
    r.line = t.line;
    r.field = "install.R";
    return r;
  }

  Result<void> install_packages(const std::vector<Arg>& args, int line, std::vector<RRequirement>& out) const {
    auto matched = TRY(match(args, {"pkgs"}, line));
    if (!matched[0]) return not_understood(line, "`install.packages` without packages");
    auto names = strings(*matched[0]);
    if (!names)
      return not_understood(line, "the packages must be written out as strings (`\"a\"` or `c(\"a\", \"b\")`)");
    for (const auto* t : *names) {
      TRY(check_name(*t));
      if (cran::is_base_package(t->text)) continue;
      out.push_back(requirement(*t));
    }
    return {};
  }

  Result<void> install_version(const std::vector<Arg>& args, int line, std::vector<RRequirement>& out) const {
    auto matched = TRY(match(args, {"package", "version"}, line));
    if (!matched[0]) return not_understood(line, "`install_version` without a package");
    auto names = strings(*matched[0]);
    if (!names || names->size() != 1) return not_understood(line, "`install_version` takes one package, as a string");
    const Token& name = *names->front();
    TRY(check_name(name));
    auto req = requirement(name);
    if (matched[1]) {
      const auto& v = value_of(*matched[1]);
      if (v.size() == 1 && tokens_[v[0]].kind == Tok::name && tokens_[v[0]].text == "NULL") {
        // the latest version
      } else if (v.size() == 1 && tokens_[v[0]].kind == Tok::string) {
        auto text = util::trim(tokens_[v[0]].text);
        if (!text.empty() && (text[0] == '>' || text[0] == '<' || text[0] == '=' || text[0] == '!')) {
          auto dep = cran::parse_dependencies(name.text + " (" + text + ")");
          if (!dep || dep->size() != 1 || !dep->front().constraint)
            return not_understood(tokens_[v[0]].line, "the version " + quote_text(text) +
                                                          " is neither a version nor one constraint such as `>= 1.2`");
          req.constraint = dep->front().constraint->str();
        } else {
          if (auto parsed = cran::Version::parse(text); !parsed)
            return not_understood(tokens_[v[0]].line, parsed.error().message);
          req.exact_version = text;
        }
      } else {
        return not_understood(line, "the version must be written out as a string");
      }
    }
    if (cran::is_base_package(name.text)) return {};
    out.push_back(std::move(req));
    return {};
  }

  // library(x), require("x"), requireNamespace("x", quietly = TRUE): nothing installed.
  Result<void> loads(const std::vector<Arg>& args, int line) const {
    auto matched = TRY(match(args, {"package"}, line));
    if (!matched[0]) return not_understood(line);
    const auto& v = value_of(*matched[0]);
    if (v.size() != 1 || (tokens_[v[0]].kind != Tok::name && tokens_[v[0]].kind != Tok::string))
      return not_understood(line);
    return {};
  }

  std::string_view text_;
  std::string_view shown_;
  std::vector<Token> tokens_;
};

}  // namespace

Result<std::vector<RRequirement>> parse_install_r_text(std::string_view text, std::string_view shown) {
  return Script(text, shown).parse();
}

Result<std::vector<RRequirement>> parse_install_r(const fs::path& path, const fs::path& project_root) {
  std::error_code ec;
  auto root = fs::absolute(project_root, ec).lexically_normal();
  auto shown = display_path(fs::absolute(path, ec).lexically_normal(), root);
  auto text = TRY(read_project_file(path, project_root, kMaxScript));
  return parse_install_r_text(text, shown);
}

}  // namespace mlpack::detectors
