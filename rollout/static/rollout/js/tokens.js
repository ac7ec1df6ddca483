// The token page's "Copy" button (shown once, with a new token).
document.getElementById("token-copy").addEventListener("click", async () => {
  const input = document.getElementById("token-text");
  const note = document.getElementById("token-copied");
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    note.textContent = "Copied to the clipboard.";
  } catch (error) {
    note.textContent = document.execCommand("copy") ? "Copied to the clipboard." : "Select the text and copy it (Ctrl+C).";
  }
});
