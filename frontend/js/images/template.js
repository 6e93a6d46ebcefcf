// images/template.js — the markup of the image view: the sample grid column, the settings column and the training readouts for the metrics panel.

/** The main part (#image-view): the sample grid with class picker and interpolation, then knobs, metrics and export. */
export const VIEW_HTML = `
<div class="image-main">
  <div class="image-head">
    <h2>Samples <span class="hint">from fixed noise · click two to interpolate</span></h2>
    <label class="class-pick" title="cGAN: one row per class, or all 64 samples of one class">Class
      <select data-testid="class-picker" aria-label="Class shown in the sample grid"></select>
    </label>
  </div>
  <div class="image-data">
    <p class="image-source" data-testid="image-data-source">–</p>
    <button type="button" class="data-fetch" data-testid="data-fetch-button" hidden>Get the full dataset</button>
  </div>
  <p class="image-source-note" data-testid="image-data-note"></p>
  <div class="job-progress data-fetch-progress" data-testid="data-fetch-progress" data-state="idle" hidden><span class="bar"><span></span></span><span class="text"></span></div>
  <p class="data-fetch-message" data-testid="data-fetch-message" role="status" hidden></p>
  <div class="grid-wrap">
    <ol class="grid-labels" data-testid="sample-grid-labels" aria-label="Class of each row"></ol>
    <canvas class="sample-grid" data-testid="sample-grid" role="img" aria-label="Generated samples (click one to pick it for interpolation)"></canvas>
  </div>
  <div class="interp" data-testid="interpolation-strip">
    <div class="interp-head">
      <span class="tool-label">Latent interpolation</span>
      <span class="interp-hint" data-testid="interpolation-hint">Click two samples in the grid: a, then b.</span>
      <label class="interp-steps">steps <input type="number" step="1" value="10" data-testid="interpolation-steps" aria-label="Interpolation steps"></label>
      <button type="button" data-testid="interpolation-clear" disabled>Clear</button>
    </div>
    <canvas class="interp-canvas" aria-label="Samples on the straight line from z_a to z_b"></canvas>
  </div>
</div>
<div class="image-side">
  <h2>Model &amp; knobs</h2>
  <div class="image-knobs" data-testid="image-knobs"></div>
  <h2>Metrics on request</h2>
  <div class="job-row">
    <label>N <input type="number" step="500" value="2000" data-testid="metrics-n-input" aria-label="Number of generated samples for the metrics"></label>
    <label class="check" title="Discriminator rejection sampling of the N samples: metrics before and after"><input type="checkbox" data-testid="metrics-drs"> DRS</label>
    <button type="button" data-testid="metrics-button">Compute metrics</button>
    <button type="button" class="job-cancel" data-testid="metrics-cancel" hidden>Cancel</button>
  </div>
  <div class="job-progress" data-testid="metrics-progress" data-state="idle" hidden><span class="bar"><span></span></span><span class="text"></span></div>
  <div class="job-result" data-testid="metrics-result"></div>
  <p class="fid-reference" data-testid="fid-reference" hidden></p>
  <p class="feature-note">Features: GAN Dojo's own LeNet classifier (trained once on the dataset's real images and
    cached), not Inception — FID here is in LeNet units, not comparable with published Inception FIDs.</p>
  <h2>Real + generated training data</h2>
  <div class="job-row">
    <button type="button" data-testid="experiment-button" title="Retrain the classifier on real/generated mixes 100/0 … 0/100 and report test accuracy">Run experiment</button>
    <button type="button" class="job-cancel" data-testid="experiment-cancel" hidden>Cancel</button>
  </div>
  <div class="job-progress" data-testid="experiment-progress" data-state="idle" hidden><span class="bar"><span></span></span><span class="text"></span></div>
  <div class="job-result" data-testid="experiment-result"></div>
  <h2>Export samples</h2>
  <div class="job-row">
    <label>n <input type="number" step="1" value="10000" data-testid="export-n-input" aria-label="Number of samples to export"></label>
    <a class="button" data-testid="export-npz" href="#" download>.npz</a>
    <a class="button" data-testid="export-png" href="#" download>PNG grid</a>
  </div>
</div>`;

/** Appended to the metrics panel in the image view: D accuracy, epoch progress and time, the loss chart. */
export const TRAINING_HTML = `
<dl class="readouts image-readouts">
  <div><dt title="Share of real images D calls real (this step)">D acc. real</dt><dd class="real" data-testid="d-acc-real">–</dd></div>
  <div><dt title="Share of generated images D calls fake (this step)">D acc. fake</dt><dd class="fake" data-testid="d-acc-fake">–</dd></div>
  <div><dt>Images / s</dt><dd data-testid="images-per-sec">–</dd></div>
</dl>
<div class="epoch">
  <div class="epoch-progress" data-testid="epoch-progress"><span class="bar"><span></span></span><span class="text">–</span></div>
  <div class="epoch-time" data-testid="epoch-time">–</div>
</div>
<div class="chart image-chart" data-testid="plot-image-losses"></div>`;
