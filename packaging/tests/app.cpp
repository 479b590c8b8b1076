// The C header from C++ (its extern "C" guards), linked to libeventfold.so
// from the C tarball (packaging/test.sh).
#include <eventfold.h>

#include <iostream>
#include <memory>
#include <string>

namespace {
struct text_free {
  void operator()(char *text) const { eventfold_string_free(text); }
};
using text = std::unique_ptr<char, text_free>;
}  // namespace

int main() {
  char *raw = nullptr;
  eventfold_domain *domain = nullptr;
  const char *sources =
      R"([{"name": "m.model", "text": "model M { state { n: int } command bump() { emit bumped() } event bumped() { set n = n + 1 } }"}])";
  int status = eventfold_domain_compile(sources, &domain, &raw);
  text error(raw);
  if (status != EVENTFOLD_OK) {
    std::cerr << "compile: " << error.get() << "\n";
    return 1;
  }
  status = eventfold_domain_propose(domain, "M", nullptr, R"({"type": "bump"})", nullptr, &raw);
  text events(raw);
  eventfold_domain_free(domain);
  if (status != EVENTFOLD_OK) return 1;
  std::cout << "c++ propose: " << events.get() << "\n";
  std::cout << "eventfold " << eventfold_version() << "\n";
  return 0;
}
