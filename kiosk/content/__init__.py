"""Content as data: pages, words, translations, symbols, scan order, OBF."""
