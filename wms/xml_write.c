#include "wms/xml_write.h"

#include "util/text.h"

#include <string.h>

void xml_escape(struct buf *out, const char *text)
{
    if (!text)
        return;
    bool valid = utf8_valid(text, strlen(text));
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '&': buf_puts(out, "&amp;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'': buf_puts(out, "&#39;"); break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                break;
            buf_putc(out, (char)(*p >= 0x80 && !valid ? '?' : *p));
        }
    }
}
