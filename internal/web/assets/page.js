// Boots GraphiQL from the JSON config that web.Handler renders into
// index.html. Kept in a file (not inline) so the page's CSP can forbid
// inline scripts.
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('graphiql-config').textContent);

  // react-remove-scroll (used by GraphiQL's dialogs) injects a <style> tag
  // and tags it with this global nonce, which the CSP's style-src allows.
  window.__webpack_nonce__ = cfg.nonce;

  var url = new URL(cfg.endpoint, window.location.href);
  var wsURL = new URL(url.href);
  wsURL.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

  // Namespaced localStorage so that persisted tabs (which include the
  // headers) from a run with a different dev token don't shadow the new one.
  function namespacedStorage(ns) {
    var ls;
    try {
      ls = window.localStorage;
    } catch (e) {
      return null; // storage disabled: GraphiQL then keeps state in memory
    }
    var prefix = ns + ':';
    function keys() {
      return Object.keys(ls).filter(function (k) { return k.indexOf(prefix) === 0; });
    }
    return {
      getItem: function (k) { return ls.getItem(prefix + k); },
      setItem: function (k, v) { ls.setItem(prefix + k, v); },
      removeItem: function (k) { ls.removeItem(prefix + k); },
      clear: function () { keys().forEach(function (k) { ls.removeItem(k); }); },
      get length() { return keys().length; },
    };
  }

  var props = {
    fetcher: GraphiQL.createFetcher({ url: url.href, subscriptionUrl: wsURL.href }),
    defaultQuery: cfg.defaultQuery,
    shouldPersistHeaders: true,
    storage: namespacedStorage(cfg.storageNamespace),
  };
  if (cfg.headers) {
    props.defaultHeaders = cfg.headers;
    props.defaultEditorToolsVisibility = 'headers';
  }

  ReactDOM.createRoot(document.getElementById('graphiql'))
    .render(React.createElement(GraphiQL, props));
})();
