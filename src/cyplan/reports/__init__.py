"""The board paper (HTML and PDF) and the charts shared with the web app."""
