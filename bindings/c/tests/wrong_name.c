/* Must NOT compile: `TODOS_CMD_CREATE_NEW_F_TITLE` is no param of
 * create-new (its fields are id and text). bindings/c/test.sh checks that
 * gcc rejects this file, and names the undeclared identifier. */
#include "todos.h"

const char *field = TODOS_CMD_CREATE_NEW_F_TITLE;
