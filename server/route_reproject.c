#include "server/handlers.h"

void handle_reproject(struct request *req, struct response *res)
{
    (void)req;
    response_error(res, 501, "reprojection is not implemented yet");
}
