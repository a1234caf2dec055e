/* main.c: waitreport's entry point: the table of its commands, as perf's
 * perf.c. A first argument that names a command runs it; anything else is
 * the report's command line (the default command). */
#include <stddef.h>
#include <string.h>

#include "cmd/builtin.h"

/* A command: its name as the first argument, and its function
 * (cmd/builtin.h). The entry with no name is the default. */
struct wr_command {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct wr_command commands[] = {
    {"diff", wr_cmd_diff}, {"top", wr_cmd_top}, {"record", wr_cmd_record}, {"ctl", wr_cmd_ctl}, {NULL, wr_cmd_report},
};

int main(int argc, char **argv)
{
    const struct wr_command *c = commands;
    for (; c->name; c++)
        if (argc > 1 && !strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    return c->run(argc, argv);
}
