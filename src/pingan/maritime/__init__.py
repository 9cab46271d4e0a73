"""The sea net's position pipeline: AIS/BeiDou ingest, decoding, classification, tracks, history and the live map."""
