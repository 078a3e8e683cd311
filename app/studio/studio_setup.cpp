#include "studio_setup.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>

#include <spdlog/spdlog.h>

#include "log_view.h"

namespace graft {

bool installTranslations(const QLocale& locale) {
  static QTranslator* graftTranslator = nullptr;
  static QTranslator* qtTranslator = nullptr;
  for (QTranslator** t : {&graftTranslator, &qtTranslator}) {
    if (*t) {
      QCoreApplication::removeTranslator(*t);
      delete *t;
      *t = nullptr;
    }
  }
  auto* qt = new QTranslator(QCoreApplication::instance());
  if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
               QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
    QCoreApplication::installTranslator(qt);
    qtTranslator = qt;
  } else {
    delete qt;
  }
  auto* own = new QTranslator(QCoreApplication::instance());
  const QString dir = QStringLiteral(":/i18n");
  bool matched = own->load(locale, QStringLiteral("graft"), QStringLiteral("_"), dir);
  // The sources are English; graft_en only adds plural forms, so it is the fallback for
  // every language graft has no translation for.
  if (matched || own->load(QStringLiteral("graft_en"), dir)) {
    QCoreApplication::installTranslator(own);
    graftTranslator = own;
    spdlog::debug("Translation {} installed", own->language().toStdString());
  } else {
    delete own;
  }
  return matched;
}

void setupLogging(bool verbose) {
  QtLogSink::instance();
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
}

}  // namespace graft
