// Archive search with Pagefind: one bundle per period under pagefind/<period>/, merged in
// the browser. Result text is inserted as text, never as HTML. Without bundles (search not
// built) or when they fail to load, the page says so and the form does nothing else.
const form = document.querySelector("[data-search]");
const status = document.querySelector("[data-search-status]");
const list = document.querySelector("[data-search-results]");
const MAX_RESULTS = 20;
let engine = null;

// The page's own words (data-msg-*, translated with the archive); {query}, {total}, {max}.
function message(name, values = {}) {
  const text = form.dataset[`msg${name}`] || "";
  return text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

function say(text) {
  status.textContent = text;
}

async function load() {
  const root = new URL(form.dataset.root, window.location.href);
  const shards = form.dataset.shards.split(" ").filter(Boolean);
  if (shards.length === 0) throw new Error("no search index");
  const bundle = (name) => new URL(`pagefind/${name}/`, root).href;
  const pagefind = await import(`${bundle(shards[0])}pagefind.js`);
  await pagefind.options({ baseUrl: root.pathname });
  for (const name of shards.slice(1)) {
    await pagefind.mergeIndex(bundle(name), { baseUrl: root.pathname });
  }
  return { pagefind, root };
}

function excerptNode(excerpt) {
  // Pagefind escapes < and > in page text and marks hits with <mark>: undo exactly that
  // and insert the pieces as text nodes, so page text can never become markup here.
  const paragraph = document.createElement("p");
  const parts = String(excerpt).split(/<\/?mark>/);
  parts.forEach((part, index) => {
    const text = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
    if (index % 2 === 1) {
      const mark = document.createElement("mark");
      mark.textContent = text;
      paragraph.append(mark);
    } else {
      paragraph.append(text);
    }
  });
  return paragraph;
}

function resultNode(data, root) {
  const url = new URL(data.url, root);
  if (url.origin !== root.origin) return null;
  const item = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = url.href;
  link.textContent = (data.meta && data.meta.title) || url.pathname;
  heading.append(link);
  item.append(heading, excerptNode(data.excerpt || ""));
  return item;
}

async function run(query) {
  list.replaceChildren();
  if (!query.trim()) {
    say(message("Empty"));
    return;
  }
  say(message("Busy"));
  try {
    engine = engine || (await load());
  } catch (error) {
    say(message("Unavailable"));
    return;
  }
  const search = await engine.pagefind.search(query);
  const found = await Promise.all(search.results.slice(0, MAX_RESULTS).map((r) => r.data()));
  const items = found.map((data) => resultNode(data, engine.root)).filter(Boolean);
  list.replaceChildren(...items);
  const total = search.results.length;
  const shown = total.toLocaleString(document.documentElement.lang || undefined);
  const name = total === 0 ? "None" : total === 1 ? "One" : total > MAX_RESULTS ? "First" : "Many";
  say(message(name, { query, total: shown, max: MAX_RESULTS }));
}

if (form && status && list) {
  const input = form.querySelector("input[name=q]");
  const initial = new URLSearchParams(window.location.search).get("q") || "";
  input.value = initial;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url);
    run(input.value);
  });
  if (initial) run(initial);
}
