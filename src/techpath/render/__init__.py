"""Results to HTML, and Markdown rewritten so outputs land right after their blocks."""
