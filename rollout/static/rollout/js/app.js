// Confirmation for destructive forms: <form data-confirm="What will change">. Uses the
// browser's native confirm() so it works with the keyboard and screen readers; pages that need
// a richer confirmation (the rollback dialog) use their own <dialog>.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
