# Summarises model training runs: the metrics from data/runs.json (jsonlite), the acceptance
# thresholds from data/thresholds.xml (xml2), one R6 object per model, and a table drawn with cli.
# The last line printed is the summary as JSON, for whatever reads this script's output.
suppressPackageStartupMessages({
  library(cli)
  library(jsonlite)
  library(R6)
  library(xml2)
})

data_dir <- Sys.getenv("ANALYSIS_DATA", "data")

# One row per run: model, seed, accuracy, seconds.
runs <- fromJSON(file.path(data_dir, "runs.json"))

thresholds <- read_xml(file.path(data_dir, "thresholds.xml"))
threshold <- function(metric, bound) {
  node <- xml_find_first(thresholds, sprintf("//metric[@name = '%s']", metric))
  as.numeric(xml_attr(node, bound))
}
min_accuracy <- threshold("accuracy", "min")
max_seconds <- threshold("seconds", "max")

Model <- R6Class("Model", public = list(
  name = NULL,
  accuracy = NULL,
  seconds = NULL,
  initialize = function(name, accuracy, seconds) {
    self$name <- name
    self$accuracy <- accuracy
    self$seconds <- seconds
  },
  mean_accuracy = function() mean(self$accuracy),
  slowest = function() max(self$seconds),
  verdict = function(min_accuracy, max_seconds) {
    if (self$mean_accuracy() < min_accuracy) return("too inaccurate")
    if (self$slowest() > max_seconds) return("too slow")
    "accepted"
  }
))

models <- lapply(split(runs, runs$model), function(r) Model$new(r$model[1], r$accuracy, r$seconds))

cat_line(rule(left = sprintf("%d runs of %d models", nrow(runs), length(models)), width = 60))
cat_line(sprintf("thresholds: mean accuracy >= %.2f, slowest run <= %gs", min_accuracy, max_seconds))
for (m in models) {
  cat_line(sprintf("%-8s %d runs  accuracy %.4f  slowest %6.1fs  %s",
                   m$name, length(m$accuracy), m$mean_accuracy(), m$slowest(),
                   m$verdict(min_accuracy, max_seconds)))
}

summary <- data.frame(
  model = vapply(models, function(m) m$name, ""),
  runs = vapply(models, function(m) length(m$accuracy), 0L),
  mean_accuracy = round(vapply(models, function(m) m$mean_accuracy(), 0), 4),
  slowest = vapply(models, function(m) m$slowest(), 0),
  verdict = vapply(models, function(m) m$verdict(min_accuracy, max_seconds), ""),
  row.names = NULL
)
cat(toJSON(summary), "\n", sep = "")
