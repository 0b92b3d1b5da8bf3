/* The shape of a label. */
#include "core/label.h"

#include <string.h>

bool label_valid(const char *s)
{
    size_t len = strlen(s);
    bool visible = false;
    if (len == 0 || len > 200)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p != ' ')
            visible = true;
    }
    return visible;
}
