/* The shape of a municipality code. */
#include "core/municipality_code.h"

bool municipality_code_valid(const char *code)
{
    if (!code || code[0] != 'G' || code[1] != 'M')
        return false;
    for (int i = 2; i < 6; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return code[6] == '\0';
}
