// Opened from disk (file://), the browser will not load the search index: say so instead
// of failing silently, and hide the form. A classic script, so that it runs from disk too.
if (window.location.protocol === "file:") {
  const note = document.querySelector("[data-search-offline]");
  const form = document.querySelector("[data-search]");
  if (note) note.hidden = false;
  if (form) form.hidden = true;
}
