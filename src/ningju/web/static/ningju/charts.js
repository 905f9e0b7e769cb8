/* Ningju charts: every element [data-echart] becomes an Apache ECharts chart (vendored, loaded on demand).
 *
 * Markup comes from the include web/_echart.html:
 *   data-echart      id of a json_script block holding the ECharts option object
 *   data-echarts-js  static URL of the vendored echarts.min.js
 * Charts follow the window and their box (resize), are disposed when htmx removes them, are created for
 * content htmx swaps in, and take new options when a swap replaces the options block. Tooltips render on
 * the canvas ("richText") unless the options say otherwise: ECharts' HTML tooltips carry inline style
 * attributes, which the CSP ('self', no 'unsafe-inline') refuses.
 */
(function () {
  "use strict";

  if (window.NingjuCharts) { // this file was executed again (a swapped-in include)
    window.NingjuCharts.scan(document);
    return;
  }

  var loading = null;
  var charts = [];

  function loadEcharts(url) {
    if (window.echarts) { return Promise.resolve(window.echarts); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = function () { resolve(window.echarts); };
        script.onerror = function () { loading = null; reject(new Error("图表程序加载失败")); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function optionsText(el) {
    var block = document.getElementById(el.dataset.echart);
    return block ? block.textContent : null;
  }

  function withDefaults(options) {
    var tooltips = Array.isArray(options.tooltip) ? options.tooltip : (options.tooltip ? [options.tooltip] : []);
    tooltips.forEach(function (tooltip) {
      if (!tooltip.renderMode) { tooltip.renderMode = "richText"; }
    });
    return options;
  }

  function apply(state, textValue) {
    var options;
    try {
      options = JSON.parse(textValue);
    } catch (err) {
      state.el.dataset.echartError = "图表数据无效";
      return;
    }
    state.text = textValue;
    state.chart.setOption(withDefaults(options), true);
    state.el.dataset.echartReady = "1";
  }

  function init(el) {
    var textValue = optionsText(el);
    if (textValue === null) { return; }
    var state = el._ningjuChart;
    if (state) {
      if (state.text !== textValue) { apply(state, textValue); }
      return;
    }
    if (el._ningjuChartPending) { return; }
    el._ningjuChartPending = true;
    loadEcharts(el.dataset.echartsJs).then(function (echarts) {
      el._ningjuChartPending = false;
      if (!el.isConnected || el._ningjuChart) { return; }
      var created = {el: el, chart: echarts.init(el, null, {renderer: "canvas"}), text: null, observer: null};
      el._ningjuChart = created;
      charts.push(created);
      if (window.ResizeObserver) {
        created.observer = new ResizeObserver(function () { created.chart.resize(); });
        created.observer.observe(el);
      }
      apply(created, optionsText(el) || textValue);
    }).catch(function (err) {
      el._ningjuChartPending = false;
      el.dataset.echartError = err.message;
    });
  }

  function destroy(el) {
    var state = el._ningjuChart;
    if (!state) { return; }
    if (state.observer) { state.observer.disconnect(); }
    state.chart.dispose();
    el._ningjuChart = null;
    charts = charts.filter(function (s) { return s !== state; });
  }

  function scan(root) {
    charts.filter(function (s) { return !s.el.isConnected; }).forEach(function (s) { destroy(s.el); });
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-echart]")) { init(scope); }
    scope.querySelectorAll("[data-echart]").forEach(init);
    if (scope !== document) { document.querySelectorAll("[data-echart]").forEach(init); } // a swapped options block
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { charts.forEach(function (s) { s.chart.resize(); }); }, 100);
  });

  window.NingjuCharts = {scan: scan, destroy: destroy, charts: function () { return charts.slice(); }};

  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
  document.addEventListener("htmx:afterSettle", function () { scan(document); });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-echart]")) { destroy(el); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
