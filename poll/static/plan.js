// Follows a running solve: updates the progress bar, reloads the page when it starts (from
// waiting for a worker) or ends.
(() => {
  const box = document.getElementById("job");
  if (!box || box.dataset.running !== "true") return;
  const poll = async () => {
    const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
    const job = await response.json();
    if (job.status !== box.dataset.status || (job.status !== "queued" && job.status !== "running")) {
      window.location.reload();
      return;
    }
    const bar = document.getElementById("job-progress");
    if (bar) {
      bar.max = job.total || 1;
      bar.value = job.done;
      bar.textContent = `${job.done}/${job.total}`;
    }
    const stage = document.getElementById("job-stage");
    if (stage) stage.textContent = job.stage;
    setTimeout(poll, 700);
  };
  setTimeout(poll, 500);
})();
