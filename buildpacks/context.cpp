// What every buildpack's steps share of their Context.
#include "buildpacks/buildpack.hpp"
#include "net/curl_client.hpp"

namespace mlpack::buildpacks {

std::shared_ptr<net::HttpClient> http_client(const Context& ctx) {
  if (ctx.http) return ctx.http;
  net::CurlOptions options;
  options.ca_file = ctx.options.ca_file;
  return net::make_curl_client(options);
}

}  // namespace mlpack::buildpacks
