/* Process-wide state the renderer's libraries keep (cairo's font and glyph caches,
 * fontconfig's configuration) released at exit, so that LeakSanitizer at server exit
 * reports only real leaks. wms_cleanup_register() is called before the first drawing;
 * the handler runs from exit(), after the server has stopped its workers. */
#ifndef RBMAP_WMS_CLEANUP_H
#define RBMAP_WMS_CLEANUP_H

void wms_cleanup_register(void);

#endif
