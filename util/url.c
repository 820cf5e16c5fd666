#include "util/url.h"

#include <ctype.h>

bool url_encode_component(struct buf *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            if (!buf_putc(out, (char)*p))
                return false;
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (!buf_append(out, enc, 3))
                return false;
        }
    }
    return true;
}
