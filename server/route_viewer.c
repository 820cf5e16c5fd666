/* Placeholder until the viewer endpoints land. */
#include "server/handlers.h"

void handle_viewer(struct request *req, struct response *res)
{
    (void)req;
    response_error(res, 501, "not implemented yet");
}
