/* Placeholder until the export endpoints land. */
#include "server/handlers.h"

void handle_export(struct request *req, struct response *res)
{
    (void)req;
    response_error(res, 501, "not implemented yet");
}
