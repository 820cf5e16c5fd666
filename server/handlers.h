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

#endif
