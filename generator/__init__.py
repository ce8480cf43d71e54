"""Publishes civil-affairs public notices (公示/公布) as a static site.

The pipeline, one module per stage: load → validate → mask → publicity →
render → site → audit; `build.build` runs them in order.
"""
