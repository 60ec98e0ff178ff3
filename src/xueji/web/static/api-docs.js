// Starts Swagger UI on /docs (see xueji/web/api_docs.py); no inline script on the page.
window.addEventListener("load", function () {
  var holder = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: holder.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
