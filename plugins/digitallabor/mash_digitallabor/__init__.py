"""Mobiles Medien- und Digitallabor: the city library's media lab on tour with free workshops."""
