# packages for the app
install.packages(c("data.table", 'ggplot2'), repos = "https://cloud.r-project.org")
install.packages("jsonlite")
remotes::install_version("shiny", "1.8.0")
