// Works map (progressive enhancement): the page lists every site in a table; when Leaflet
// has loaded, this draws the same sites as markers. Without scripts or tiles, the list stays.
(function () {
  "use strict";
  function start() {
    var element = document.getElementById("works-map");
    if (!element || typeof window.L === "undefined") {
      return;
    }
    var rows = document.querySelectorAll("tr.works-row");
    var points = [];
    element.hidden = false;
    var map = window.L.map(element, { scrollWheelZoom: false });
    var note = document.getElementById("no-tiles");
    if (note) {
      // Without a tile server the markers stand on grey: say so over the box itself.
      var overlay = document.createElement("div");
      overlay.className = "map-note";
      overlay.textContent = note.textContent;
      element.appendChild(overlay);
    }
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      window.L.tileLayer(tiles, {
        maxZoom: 19,
        attribution: element.getAttribute("data-attribution") || ""
      }).addTo(map);
    }
    rows.forEach(function (row) {
      var lat = parseFloat(row.getAttribute("data-latitude"));
      var lon = parseFloat(row.getAttribute("data-longitude"));
      if (isNaN(lat) || isNaN(lon)) {
        return;
      }
      var label = row.getAttribute("data-label") || "";
      if (row.getAttribute("data-approximate")) {
        label += " (" + (element.getAttribute("data-approximate") || "") + ")";
      }
      // A site placed at the commune's centre is drawn faded: its place is not known.
      var approximate = !!row.getAttribute("data-approximate");
      var marker = window.L.marker([lat, lon], {
        title: label,
        alt: label,
        opacity: approximate ? 0.5 : 1
      }).addTo(map);
      var text = document.createElement("span");
      text.textContent = label;
      marker.bindPopup(text);
      points.push([lat, lon]);
    });
    if (points.length > 0) {
      map.fitBounds(points, { maxZoom: 15, padding: [30, 30] });
    } else {
      var clat = parseFloat(element.getAttribute("data-latitude"));
      var clon = parseFloat(element.getAttribute("data-longitude"));
      map.setView(isNaN(clat) ? [50.5, 4.6] : [clat, clon], isNaN(clat) ? 8 : 13);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
