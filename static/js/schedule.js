// The organiser's schedule page: click-to-move in the grid.
//
// The selection (the meeting to move, the target cell, two meetings to swap) lives in the
// forms' visible fields. Every link of the grid already carries the selection the page
// was drawn with (it works without JavaScript); this script makes a click use what the
// fields hold now, so a choice made by hand in a form is not lost by a click in the grid,
// and refreshes the forms' hidden copies of the selection before a form is sent, so a
// refused change comes back with everything still chosen. The rules are those of
// next_pick() in matchmaker/meetings/routes_schedule.py.
(function () {
  "use strict";
  var grid = document.querySelector("[data-testid=schedule-grid]");
  if (!grid) { return; }
  var FIELDS = {meeting: "move-meeting", slot: "move-slot", table: "move-table",
                first: "swap-first", second: "swap-second"};
  var KEYS = ["meeting", "slot", "table", "first", "second"];
  var MEETING_SELECTS = ["move-meeting", "unplace-meeting", "outcome-meeting"];

  function field(key) { return document.getElementById(FIELDS[key]); }

  function current() {
    var state = {};
    KEYS.forEach(function (key) {
      var input = field(key);
      state[key] = input ? input.value : "";
    });
    return state;
  }

  function isPlaced(id) {
    return Boolean(id) && grid.querySelector('a[data-pick="meeting"][data-meeting="' +
                                            id + '"][data-placed="1"]') !== null;
  }

  function next(state, link) {
    if (link.dataset.pick === "cell") {
      state.slot = link.dataset.slot;
      state.table = link.dataset.table;
      return state;
    }
    var id = link.dataset.meeting;
    if (link.dataset.replace !== "1" && state.meeting && state.meeting !== id &&
        isPlaced(state.meeting) && isPlaced(id)) {
      state.first = state.meeting;
      state.second = id;
      return state;
    }
    state.meeting = id;
    state.first = isPlaced(id) ? id : "";
    state.second = "";
    return state;
  }

  function urlFor(state, anchor) {
    var params = new URLSearchParams();
    KEYS.forEach(function (key) { if (state[key]) { params.set(key, state[key]); } });
    var query = params.toString();
    return grid.dataset.url + (query ? "?" + query : "") + (anchor ? "#" + anchor : "");
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-pick]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
      return;
    }
    // Without the move form (no meeting yet) the link's own address is right.
    if (!field("meeting")) { return; }
    event.preventDefault();
    window.location.assign(urlFor(next(current(), link), link.dataset.anchor));
  });

  // One meeting chosen in any of the forms is chosen in the others that list it.
  MEETING_SELECTS.forEach(function (id) {
    var select = document.getElementById(id);
    if (!select) { return; }
    select.addEventListener("change", function () {
      MEETING_SELECTS.forEach(function (otherId) {
        var other = document.getElementById(otherId);
        if (other && other !== select &&
            other.querySelector('option[value="' + select.value + '"]')) {
          other.value = select.value;
        }
      });
    });
  });

  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("input[data-keep]").forEach(function (hidden) {
      var input = field(hidden.dataset.keep);
      if (input) { hidden.value = input.value; }
    });
  });

  // Back on the page after a click: show the clicked cell in the middle of the screen,
  // clear of the selection bar stuck at the top.
  if (window.location.hash.length > 1) {
    var target = document.getElementById(window.location.hash.slice(1));
    if (target && target.closest("[data-testid=schedule-grid]")) {
      target.scrollIntoView({block: "center"});
    }
  }
}());
