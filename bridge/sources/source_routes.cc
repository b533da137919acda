#include "sources/source_routes.h"

namespace kbridge::sources {

void addSourceRoutes(api::ApiRouter& router, SourceRunner& runner) {
  router.add("POST", "/api/sources/{name}/run",
             [&runner](api::ApiRequest request, http::Respond respond) {
               const std::string name = request.params.at("name");
               auto shared = std::make_shared<http::Respond>(std::move(respond));
               const bool known = runner.trigger(name, [shared](RunResult result) {
                 (*shared)(api::jsonResponse(httpStatusOf(result), toJson(result)));
               });
               if (!known) (*shared)(api::errorResponse(404, "No source named " + name));
             });
}

}  // namespace kbridge::sources
