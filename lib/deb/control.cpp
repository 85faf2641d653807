#include "deb/control.hpp"

namespace mlpack::deb {

namespace {
// `#` lines are skipped in every file: deb822 allows them in debian/control, and Packages,
// Release and status files have none.
const dcf::ParseOptions debian_control{.comments = dcf::Comments::skipped};
}  // namespace

Result<std::vector<Paragraph>> parse_paragraphs(std::string_view text, std::string_view source) {
  return dcf::parse_paragraphs(text, source, debian_control);
}

Result<void> for_each_paragraph(std::string_view text, std::string_view source,
                                const std::function<Result<void>(Paragraph&&)>& visit) {
  return dcf::for_each_paragraph(text, source, debian_control, visit);
}

}  // namespace mlpack::deb
