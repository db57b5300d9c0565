// ReDoc's bundle draws a Redocly logo from cdn.redoc.ly in its menu footer.
// The project's pages load nothing from another origin (the CSP's img-src
// 'self' would refuse it and report a violation), so an image source on
// another origin is never set, whether as an attribute or as the `src`
// property; the empty logo is hidden by api_docs.css.
(function () {
  "use strict";
  function sameOrigin(value) {
    var url = new URL(String(value), document.baseURI);
    return url.protocol === "data:" || url.origin === window.location.origin;
  }
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    var isSource = String(name).toLowerCase() === "src";
    if (this instanceof HTMLImageElement && isSource && !sameOrigin(value)) {
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };
  var source = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: source.enumerable,
    get: source.get,
    set: function (value) {
      if (sameOrigin(value)) {
        source.set.call(this, value);
      }
    },
  });
})();
