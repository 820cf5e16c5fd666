/* Every HTTP endpoint, one handler each; server/routes.c maps paths to them. */
#ifndef RBMAP_SERVER_HANDLERS_H
#define RBMAP_SERVER_HANDLERS_H
#include "server/http.h"

void handle_health(struct request *req, struct response *res);
void handle_metrics(struct request *req, struct response *res);
void handle_reproject(struct request *req, struct response *res);
void handle_tiles(struct request *req, struct response *res);
void handle_catalog(struct request *req, struct response *res);
void handle_clusters(struct request *req, struct response *res); /* server/route_clusters.c */
void handle_geocode_search(struct request *req, struct response *res); /* server/route_geocode.c */
void handle_geocode_reverse(struct request *req, struct response *res);
void handle_geocode_search_csv(struct request *req, struct response *res); /* server/route_geocode_csv.c */
void handle_geocode_reverse_csv(struct request *req, struct response *res);
void handle_ogc(struct request *req, struct response *res);     /* server/route_ogc.c: /ogc, /ogc/... */
void handle_export(struct request *req, struct response *res);  /* server/route_export.c: /export/... */
void handle_wms(struct request *req, struct response *res);     /* server/route_wms.c: /wms */
void handle_styles(struct request *req, struct response *res);  /* server/route_styles.c: /styles/... */
void handle_viewer(struct request *req, struct response *res);  /* server/route_viewer.c: / and /viewer/... */
struct server_ctx;
int geocode_load(struct server_ctx *ctx);   /* maps cfg->geocoder_index; -1 (message printed) if corrupt */
void geocode_unload(struct server_ctx *ctx);

#endif
