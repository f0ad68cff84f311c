/** The exported page (index.html); app.js fills it in. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>slipkit model</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f4f5f8; }
  body { margin: 0 auto; max-width: 1100px; padding: 16px 24px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 20px; margin: 0; }
  .badge { font-size: 13px; padding: 2px 8px; border-radius: 10px; background: #dfe6f3; }
  .badge.error { background: #f6d3d3; }
  section { background: #fff; border-radius: 8px; padding: 12px 16px; margin: 12px 0; box-shadow: 0 1px 2px #0001; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  #drop { border: 2px dashed #9aa7bf; border-radius: 8px; padding: 14px; text-align: center; color: #56617a; }
  #drop.over { background: #eef3ff; }
  .row { display: flex; gap: 12px; flex-wrap: wrap; }
  .row > label { flex: 1; min-width: 260px; font-size: 13px; }
  textarea { width: 100%; box-sizing: border-box; height: 84px; font: 13px monospace; }
  input[type=text] { width: 60%; font-size: 14px; padding: 4px; }
  button { font-size: 14px; padding: 4px 12px; }
  #gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin-top: 10px; }
  .card { border: 1px solid #e1e4ea; border-radius: 6px; padding: 8px; font-size: 12px; }
  .card img { width: 64px; height: 64px; image-rendering: pixelated; border-radius: 4px; float: left; margin: 0 8px 4px 0; }
  .card .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .label { clear: both; display: flex; align-items: center; gap: 6px; margin-top: 2px; }
  .label .bar { height: 8px; background: #5b7fd6; border-radius: 4px; }
  .label .text { width: 90px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  #ranking { display: flex; gap: 10px; flex-wrap: wrap; padding: 0; list-style: none; }
  #ranking li { font-size: 12px; text-align: center; }
  #ranking img { width: 64px; height: 64px; image-rendering: pixelated; display: block; border-radius: 4px; }
  #status { font-size: 12px; color: #56617a; }
</style>
</head>
<body>
<header><h1 id="title">slipkit model</h1><span id="backend" class="badge">backend: starting…</span><span id="status"></span></header>
<section>
  <h2>Images</h2>
  <div id="drop">Drop images here, or <input id="files" type="file" accept="image/*" multiple></div>
  <div id="gallery"></div>
</section>
<section>
  <h2>Zero-shot classification</h2>
  <div class="row">
    <label>Class names (one per line, or comma-separated)<textarea id="classes"></textarea></label>
    <label>Prompt templates ({} is the class name; the classifier averages them)<textarea id="templates"></textarea></label>
  </div>
  <button id="classify">Classify images</button>
</section>
<section>
  <h2>Text-to-image search</h2>
  <input id="caption" type="text" placeholder="a caption, e.g. a photo of the number seven"> <button id="search">Rank images</button>
  <ol id="ranking"></ol>
</section>
<script src="app.js"></script>
</body>
</html>
`;
