#include "server/request_filters.h"

int request_site_filter(const struct request *req, const struct site_snapshot *snap, struct site_filter *f,
                        struct response *res)
{
    char err[512];
    site_filter_init(f);
    if (site_filter_parse_status(f, request_param(req, "status"), err, sizeof err) < 0 ||
        site_filter_parse_territory(f, request_param(req, "territory"), err, sizeof err) < 0 ||
        site_filter_parse_field_type(f, request_param(req, "field_type"), err, sizeof err) < 0 ||
        site_filter_parse_date(f, request_param(req, "date"), err, sizeof err) < 0 ||
        site_filter_resolve(f, snap, err, sizeof err) < 0) {
        response_error(res, 400, "%s", err);
        return -1;
    }
    return 0;
}
