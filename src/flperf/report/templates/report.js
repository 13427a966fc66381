(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("flperf-charts").textContent);
  var config = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
  };
  var drawn = specs.map(function (spec) {
    return Plotly.newPlot(spec.id, spec.data, spec.layout, config);
  });
  Promise.all(drawn).then(
    function () { document.body.setAttribute("data-charts", "rendered"); },
    function (error) {
      document.body.setAttribute("data-charts", "failed");
      console.error("a chart failed to render", error);
    }
  );
  function resizeAll() {
    specs.forEach(function (spec) { Plotly.Plots.resize(spec.id); });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
