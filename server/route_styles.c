/* Placeholder until the styles endpoints land. */
#include "server/handlers.h"

void handle_styles(struct request *req, struct response *res)
{
    (void)req;
    response_error(res, 501, "not implemented yet");
}
