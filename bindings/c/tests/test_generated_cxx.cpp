// The generated header compiles as C++ too (it holds only #defines).
#include <cstdio>
#include <string>

#include "todos.h"

int main() {
  const std::string names[] = {TODOS_MODEL, TODOS_CMD_CREATE_NEW, TODOS_REASON_BLANK,
                               TABLE_TODO_ROWS, PROJECTION_TODO_BOARD};
  std::size_t total = 0;
  for (const auto &n : names) total += n.size();
  std::printf("%zu\n", total);
  return total > 0 ? 0 : 1;
}
